// The OpenAPI 3.0 document of the admin API. A test walks the router and
// fails when a route is missing here.

#include "api/system_api.hpp"

namespace winston::api {

std::string_view openapi_document() {
  static constexpr std::string_view kDoc = R"json({
  "openapi": "3.0.3",
  "info": {"title": "Winston admin API", "version": "0.1.0",
           "description": "Control plane for managed OpenClaw agents. Credits are integer milli-credits (1 credit = 1000 mc); timestamps are epoch milliseconds."},
  "components": {
    "securitySchemes": {"admin": {"type": "http", "scheme": "bearer", "description": "WINSTON_ADMIN_TOKEN"}},
    "parameters": {
      "TenantId": {"name": "id", "in": "path", "required": true, "description": "tenant id or slug", "schema": {"type": "string"}},
      "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
      "Offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "enum": ["malformed_request", "unauthenticated", "insufficient_credits", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large", "invalid_field", "unavailable", "internal"]},
        "message": {"type": "string"}, "field": {"type": "string"}, "request_id": {"type": "string"}}}}},
      "Tenant": {"type": "object", "properties": {
        "id": {"type": "string"}, "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"},
        "name": {"type": "string"}, "email": {"type": "string", "format": "email"}, "website_url": {"type": "string", "format": "uri"},
        "industry": {"type": "string", "nullable": true}, "tier": {"type": "string"}, "status": {"type": "string", "enum": ["active", "suspended"]},
        "system": {"type": "boolean"}, "unlimited": {"type": "boolean"}, "balance_mc": {"type": "integer"}, "monthly_allotment_mc": {"type": "integer"},
        "refresh_at": {"type": "integer", "nullable": true}, "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}}},
      "NewTenant": {"type": "object", "additionalProperties": false, "required": ["name", "email", "website_url"], "properties": {
        "name": {"type": "string", "maxLength": 200}, "email": {"type": "string", "format": "email"}, "website_url": {"type": "string", "format": "uri"},
        "industry": {"type": "string", "maxLength": 100}, "tier": {"type": "string", "enum": ["free", "starter", "pro", "enterprise"], "default": "free"},
        "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"}}},
      "TenantPatch": {"type": "object", "additionalProperties": false, "minProperties": 1, "properties": {
        "name": {"type": "string"}, "email": {"type": "string"}, "website_url": {"type": "string"}, "industry": {"type": "string", "nullable": true},
        "tier": {"type": "string", "enum": ["free", "starter", "pro", "enterprise"]}, "status": {"type": "string", "enum": ["active", "suspended"]}}},
      "CreditAdjustment": {"type": "object", "additionalProperties": false, "required": ["amount_mc", "reason"], "properties": {
        "amount_mc": {"type": "integer", "description": "milli-credits; negative to deduct"}, "reason": {"type": "string", "maxLength": 500},
        "force": {"type": "boolean", "default": false, "description": "allow the balance to go below zero"}}},
      "LedgerEntry": {"type": "object", "properties": {
        "id": {"type": "string"}, "tenant_id": {"type": "string"}, "kind": {"type": "string", "enum": ["grant", "monthly_refresh", "topup", "adjustment", "usage", "refund"]},
        "amount_mc": {"type": "integer"}, "balance_after_mc": {"type": "integer"}, "reason": {"type": "string"}, "request_id": {"type": "string", "nullable": true},
        "actor": {"type": "string"}, "created_at": {"type": "integer"}}},
      "ApiKey": {"type": "object", "properties": {
        "id": {"type": "string"}, "tenant_id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"},
        "key": {"type": "string", "description": "only in the response that created it"}, "created_at": {"type": "integer"},
        "last_used_at": {"type": "integer", "nullable": true}, "revoked_at": {"type": "integer", "nullable": true}}},
      "Page": {"type": "object", "properties": {"data": {"type": "array", "items": {}}, "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}, "has_more": {"type": "boolean"}}}
    },
    "responses": {
      "BadRequest": {"description": "malformed JSON or request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "missing or wrong admin token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "no such tenant", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Conflict": {"description": "duplicate email or slug, or an overdraft", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "body over 64 KiB", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Invalid": {"description": "a field is invalid; error.field names it", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  },
  "security": [{"admin": []}],
  "paths": {
    "/healthz": {"get": {"summary": "liveness", "security": [], "responses": {"200": {"description": "alive"}}}},
    "/readyz": {"get": {"summary": "readiness: the database answers", "security": [], "responses": {"200": {"description": "ready"}, "503": {"description": "database unreachable"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition format 0.0.4"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/v1/openapi.json": {"get": {"summary": "this document", "security": [], "responses": {"200": {"description": "OpenAPI 3 document"}}}},
    "/v1/tenants": {
      "post": {"summary": "create a tenant and grant its tier's monthly credits",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewTenant"}}}},
               "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}},
                             "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                             "409": {"$ref": "#/components/responses/Conflict"}, "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Invalid"}}},
      "get": {"summary": "list tenants, newest first",
              "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"},
                             {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "suspended"]}},
                             {"name": "tier", "in": "query", "schema": {"type": "string"}},
                             {"name": "q", "in": "query", "description": "case-insensitive substring of the name", "schema": {"type": "string"}}],
              "responses": {"200": {"description": "a page of tenants", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "one tenant with balance, allotment and refresh date",
              "responses": {"200": {"description": "the tenant", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}},
      "patch": {"summary": "change name, email, website, industry, tier or status",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TenantPatch"}}}},
                "responses": {"200": {"description": "the updated tenant", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}},
                              "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                              "403": {"description": "the system tenant cannot be changed"}, "404": {"$ref": "#/components/responses/NotFound"},
                              "409": {"$ref": "#/components/responses/Conflict"}, "422": {"$ref": "#/components/responses/Invalid"}}},
      "delete": {"summary": "delete the tenant and every row it owns, in one transaction",
                 "responses": {"204": {"description": "deleted"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                               "403": {"description": "the system tenant cannot be deleted"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/credits": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "adjust the balance; refused below zero unless forced",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreditAdjustment"}}}},
               "responses": {"201": {"description": "the ledger entry", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LedgerEntry"}}}},
                             "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                             "403": {"description": "unlimited tenant"}, "404": {"$ref": "#/components/responses/NotFound"},
                             "409": {"$ref": "#/components/responses/Conflict"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/keys": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "issue a proxy API key; the secret is in the response once and never again",
               "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"name": {"type": "string", "maxLength": 100}}}}}},
               "responses": {"201": {"description": "the key, with its secret in `key`", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiKey"}}}},
                             "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}},
      "get": {"summary": "the tenant's keys (prefix and metadata only)",
              "responses": {"200": {"description": "keys", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/ApiKey"}}}}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/keys/{key_id}": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"name": "key_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "delete": {"summary": "revoke a key (the proxy refuses it within the key cache TTL, 5 s by default)",
                 "responses": {"204": {"description": "revoked"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/ledger": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "the tenant's ledger, newest first",
              "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
              "responses": {"200": {"description": "a page of ledger entries", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    }
  }
})json";
  return kDoc;
}

}  // namespace winston::api
