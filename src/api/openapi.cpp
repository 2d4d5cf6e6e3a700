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
    "securitySchemes": {"admin": {"type": "http", "scheme": "bearer", "description": "WINSTON_ADMIN_TOKEN"},
                        "tenantKey": {"type": "http", "scheme": "bearer", "description": "a tenant's proxy key (wsk_...), also accepted as x-api-key; the admin token is refused"}},
    "parameters": {
      "TenantId": {"name": "id", "in": "path", "required": true, "description": "tenant id or slug", "schema": {"type": "string"}},
      "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
      "Offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
      "AuditActor": {"name": "actor", "in": "query", "description": "exact actor, e.g. admin or cli:root", "schema": {"type": "string"}},
      "AuditAction": {"name": "action", "in": "query", "description": "exact action (tenant.update), or a prefix ending in . or * (tenant., cell.*)", "schema": {"type": "string"}},
      "AuditTarget": {"name": "target", "in": "query", "description": "exact target, e.g. tenant:<id>", "schema": {"type": "string"}},
      "AuditFrom": {"name": "from", "in": "query", "description": "created_at >= from (epoch ms)", "schema": {"type": "integer", "minimum": 0}},
      "AuditTo": {"name": "to", "in": "query", "description": "created_at < to (epoch ms)", "schema": {"type": "integer", "minimum": 0}},
      "AuditCursor": {"name": "cursor", "in": "query", "description": "next_cursor of the previous page (opaque)", "schema": {"type": "string"}},
      "ConnectorId": {"name": "connector_id", "in": "path", "required": true, "schema": {"type": "string"}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "enum": ["malformed_request", "unauthenticated", "insufficient_credits", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large", "invalid_field", "unavailable", "bad_gateway", "gateway_timeout", "internal"]},
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
        "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"},
        "provision": {"type": "boolean", "default": false, "description": "one-step onboarding: also create its cell; the reconciler analyzes the website, generates the config and starts the gateway (progress on GET .../instance)"},
        "backend": {"type": "string", "enum": ["local", "railway", "kubernetes"], "description": "with provision: where the cell runs (default cells.backend)"}}},
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
      "Snapshot": {"type": "object", "properties": {
        "version": {"type": "integer"}, "content_hash": {"type": "string", "description": "SHA-256 over every (path, content)"},
        "created_by": {"type": "string"}, "reason": {"type": "string"}, "created_at": {"type": "integer"}, "tenant_id": {"type": "string"},
        "created": {"type": "boolean", "description": "generate/rollback only: false when the content equalled the latest version, which is returned"},
        "files": {"description": "file names (generate/rollback) or path -> content (GET one version)"},
        "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/ConfigWarning"}, "description": "what this config lacks because the profile was partial; empty when complete"}}},
      "ConfigWarning": {"type": "object", "properties": {
        "code": {"type": "string", "enum": ["industry_unknown", "analysis_fallback", "not_analyzed"]},
        "message": {"type": "string", "description": "which rules are missing and how to fix it (see docs/agent-config.md)"}}},
      "Profile": {"type": "object", "description": "a stored business profile version", "properties": {
        "version": {"type": "integer"}, "source": {"type": "string", "enum": ["llm", "extracted"]}, "source_url": {"type": "string"},
        "profile": {"type": "object"}, "extracted": {"type": "object"}, "model": {"type": "string", "nullable": true},
        "notes": {"type": "array", "items": {"type": "string"}}, "created_by": {"type": "string"}, "created_at": {"type": "integer"}}},
      "Skill": {"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"}, "enabled": {"type": "boolean"},
        "default": {"type": "boolean", "description": "no per-tenant choice; follows agent.default_skills"}}},
      "NewConnector": {"type": "object", "additionalProperties": false, "required": ["name", "kind"], "properties": {
        "name": {"type": "string", "maxLength": 100, "description": "unique per tenant"}, "kind": {"type": "string", "enum": ["upload"], "description": "upload: CSV/JSON uploads, no POS needed"},
        "settings": {"type": "object", "description": "upload: currency (ISO 4217, default USD), location, notes", "additionalProperties": {"type": "string"}},
        "credentials": {"type": "object", "additionalProperties": {"type": "string"}, "description": "sealed with the master key; never returned"}}},
      "Connector": {"type": "object", "properties": {
        "id": {"type": "string"}, "tenant_id": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"}, "status": {"type": "string"},
        "settings": {"type": "object"}, "has_credentials": {"type": "boolean"}, "accepts_uploads": {"type": "boolean"},
        "inventory": {"type": "object", "properties": {"items": {"type": "integer"}, "updated_at": {"type": "integer", "nullable": true}}},
        "sales": {"type": "object", "properties": {"lines": {"type": "integer"}, "first_date": {"type": "string", "nullable": true}, "last_date": {"type": "string", "nullable": true}}},
        "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}}},
      "UploadReport": {"type": "object", "properties": {
        "connector_id": {"type": "string"}, "rows": {"type": "integer"}, "new_rows": {"type": "integer"},
        "replaced_rows": {"type": "integer", "description": "inventory: the items replaced; sales: lines uploaded before and overwritten"},
        "ignored_columns": {"type": "array", "items": {"type": "string"}}}},
      "InventoryItem": {"type": "object", "properties": {
        "sku": {"type": "string"}, "name": {"type": "string"}, "brand": {"type": "string"}, "category": {"type": "string"}, "strain": {"type": "string"},
        "strain_type": {"type": "string"}, "thc": {"type": "string"}, "cbd": {"type": "string"}, "size": {"type": "string"},
        "price": {"type": "string", "example": "35.00"}, "price_cents": {"type": "integer"}, "currency": {"type": "string"},
        "quantity": {"type": "integer"}, "in_stock": {"type": "boolean"}, "source": {"type": "string", "description": "the connector's name"},
        "updated_at": {"type": "string", "format": "date-time"}}},
      "SalesFigures": {"type": "object", "properties": {"orders": {"type": "integer"}, "units": {"type": "integer"}, "revenue": {"type": "string", "example": "88.50"}, "revenue_cents": {"type": "integer"}}},
      "Instance": {"type": "object", "description": "a tenant's cell (its OpenClaw gateway); see docs/cells.md", "properties": {
        "id": {"type": "string"}, "tenant_id": {"type": "string"}, "backend": {"type": "string", "enum": ["local", "railway", "kubernetes"]},
        "tenant_slug": {"type": "string"}, "tenant_name": {"type": "string"},
        "desired_state": {"type": "string", "enum": ["running", "stopped", "deleted"]},
        "actual_state": {"type": "string", "enum": ["pending", "provisioning", "running", "degraded", "stopping", "stopped", "deleting", "deleted", "failed"]},
        "step": {"type": "string", "description": "what the reconciler is doing: queued, analyze, configure, deploy vN, running vN, ..."},
        "url": {"type": "string", "nullable": true}, "snapshot_version": {"type": "integer", "nullable": true, "description": "the config version deployed"},
        "attempts": {"type": "integer"}, "last_error": {"type": "string", "nullable": true}, "next_attempt_at": {"type": "integer", "nullable": true},
        "delete_tenant": {"type": "boolean"}, "external": {"type": "object", "description": "the backend's resource ids (no secrets)"},
        "ready_at": {"type": "integer", "nullable": true}, "created_at": {"type": "integer"}, "updated_at": {"type": "integer"},
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/InstanceEvent"}},
        "config_warnings": {"type": "array", "items": {"$ref": "#/components/schemas/ConfigWarning"}, "description": "the warnings of the config version deployed (snapshot_version)"}}},
      "InstanceEvent": {"type": "object", "properties": {"id": {"type": "string"}, "at": {"type": "integer"},
        "kind": {"type": "string", "enum": ["transition", "step", "error"]}, "from": {"type": "string", "nullable": true},
        "to": {"type": "string", "nullable": true}, "message": {"type": "string"}}},
      "AuditEntry": {"type": "object", "properties": {
        "id": {"type": "string"}, "tenant_id": {"type": "string", "nullable": true, "description": "null on the row of a tenant's deletion, which outlives the tenant; its target still names it"},
        "actor": {"type": "string", "example": "admin"}, "action": {"type": "string", "example": "tenant.credit"}, "target": {"type": "string", "example": "tenant:0193..."},
        "details": {"type": "object"}, "request_id": {"type": "string", "nullable": true}, "created_at": {"type": "integer"}}},
      "AuditPage": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
        "limit": {"type": "integer"}, "next_cursor": {"type": "string", "nullable": true, "description": "pass as cursor for the next (older) page; null on the last page"}}},
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
      "delete": {"summary": "delete the tenant and every row it owns, in one transaction; a tenant with a cell is suspended and its cell removed first",
                 "responses": {"204": {"description": "deleted"}, "202": {"description": "deleting: its cell is being removed; the tenant (with \"deleting\": true) goes once the cell is gone"}, "401": {"$ref": "#/components/responses/Unauthorized"},
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
    "/v1/tenants/{id}/analyze": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "crawl the tenant's website (SSRF-guarded), ask the LLM through Winston's proxy as the system tenant, store the next profile version; without a usable LLM answer the profile is built from the extracted data (source: extracted)",
               "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"url": {"type": "string", "description": "analyze this URL instead of website_url"}}}}}},
               "responses": {"201": {"description": "the stored profile", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
                             "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                             "422": {"$ref": "#/components/responses/Invalid"}, "503": {"description": "the site could not be loaded"}}}
    },
    "/v1/tenants/{id}/profile": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "the latest business profile", "responses": {"200": {"description": "profile", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/profiles": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"$ref": "#/components/parameters/Limit"}],
      "get": {"summary": "profile history, newest first", "responses": {"200": {"description": "profiles", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"}}}}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/profiles/{version}": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"name": "version", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
      "get": {"summary": "one profile version", "responses": {"200": {"description": "profile", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/configs": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "generate the OpenClaw config (openclaw.json, SOUL/AGENTS/USER/IDENTITY.md, enabled skills) from tenant, profile, tier and templates; a new version only when the content changed",
               "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"reason": {"type": "string", "maxLength": 500}}}}}},
               "responses": {"201": {"description": "a new version", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Snapshot"}}}},
                             "200": {"description": "unchanged: the latest version", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Snapshot"}}}},
                             "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"description": "the system tenant has no agent"},
                             "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}},
      "get": {"summary": "config versions, newest first (without files)", "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
              "responses": {"200": {"description": "a page of versions", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Snapshot"}}, "total": {"type": "integer"}, "has_more": {"type": "boolean"}}}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/configs/{version}": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"name": "version", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
      "get": {"summary": "one version with all its files (audited as config.view)",
              "responses": {"200": {"description": "the snapshot", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Snapshot"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/configs/{from}/diff/{to}": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"name": "from", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}, {"name": "to", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
      "get": {"summary": "unified diff per changed file",
              "responses": {"200": {"description": "files that differ", "content": {"application/json": {"schema": {"type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "files": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}, "status": {"type": "string", "enum": ["added", "removed", "modified"]}, "diff": {"type": "string"}}}}}}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/configs/{version}/rollback": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"name": "version", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
      "post": {"summary": "a new version equal to an old one (or the latest, unchanged, when it already is)",
               "responses": {"201": {"description": "a new version", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Snapshot"}}}},
                             "200": {"description": "unchanged", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Snapshot"}}}},
                             "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/skills": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "the skills catalog with the tenant's choices",
              "responses": {"200": {"description": "skills", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Skill"}}}}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/skills/{name}": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
      "put": {"summary": "enable or disable a skill for the tenant (takes effect at the next config generation)",
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["enabled"], "properties": {"enabled": {"type": "boolean"}}}}}},
              "responses": {"200": {"description": "skills", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Skill"}}}}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/connectors": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "create a connector (credentials sealed at rest, never returned)",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewConnector"}}}},
               "responses": {"201": {"description": "the connector", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Connector"}}}},
                             "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                             "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}, "422": {"$ref": "#/components/responses/Invalid"}}},
      "get": {"summary": "the tenant's connectors, oldest first",
              "responses": {"200": {"description": "connectors", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Connector"}}}}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/connectors/{connector_id}": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"$ref": "#/components/parameters/ConnectorId"}],
      "get": {"summary": "one connector with what it holds",
              "responses": {"200": {"description": "the connector", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Connector"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}},
      "delete": {"summary": "delete the connector with its inventory and sales",
                 "responses": {"204": {"description": "deleted"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/connectors/{connector_id}/inventory": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"$ref": "#/components/parameters/ConnectorId"}],
      "post": {"summary": "replace the connector's whole inventory, atomically",
               "description": "text/csv (RFC 4180, header row) or application/json (array of objects). Columns: sku, name, price (12.50) or price_cents, quantity; optional category, brand, strain, strain_type, thc, cbd, size; common export names are accepted and other columns ignored. Rows are numbered from 1 without the header; a bad row is a 422 whose field is rows[N].column. Bounded by the API body limit (api.body_limit_bytes) and 50,000 rows.",
               "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
               "responses": {"200": {"description": "what was loaded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadReport"}}}},
                             "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                             "409": {"description": "the connector's kind takes no uploads"}, "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/connectors/{connector_id}/sales": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}, {"$ref": "#/components/parameters/ConnectorId"}],
      "post": {"summary": "add sale lines; idempotent by (order_id, line_id)",
               "description": "text/csv or application/json. Columns: order_id, date (YYYY-MM-DD, optionally THH:MM[:SS] and a zone; the date as written is the store's calendar date), product_name, quantity, total (12.50, negative for refunds) or total_cents; optional line_id (default: the sku, else the product name), sku, category. Re-uploading a line overwrites it instead of adding a copy.",
               "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
               "responses": {"200": {"description": "what was loaded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadReport"}}}},
                             "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                             "409": {"description": "the connector's kind takes no uploads"}, "413": {"$ref": "#/components/responses/TooLarge"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/connector/inventory": {
      "get": {"summary": "search the calling tenant's inventory, in-stock first", "security": [{"tenantKey": []}],
              "servers": [{"url": "http://127.0.0.1:8081", "description": "the proxy listener, where cells already send their key"}],
              "parameters": [{"name": "q", "in": "query", "description": "words, each to occur in name, brand, category, sku or strain (case-insensitive)", "schema": {"type": "string", "maxLength": 100}},
                             {"name": "category", "in": "query", "description": "exact category, case-insensitive", "schema": {"type": "string"}},
                             {"name": "in_stock", "in": "query", "schema": {"type": "boolean", "default": false}},
                             {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}}],
              "responses": {"200": {"description": "matches", "content": {"application/json": {"schema": {"type": "object", "properties": {
                              "count": {"type": "integer"}, "total_matches": {"type": "integer"}, "items": {"type": "array", "items": {"$ref": "#/components/schemas/InventoryItem"}},
                              "inventory_items": {"type": "integer", "description": "0: no inventory uploaded"}, "inventory_updated_at": {"type": "string", "format": "date-time", "nullable": true}}}}}},
                            "401": {"description": "missing, unknown or revoked tenant key"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/connector/sales": {
      "get": {"summary": "the calling tenant's sales between two dates: totals, every day, top products and categories", "security": [{"tenantKey": []}],
              "servers": [{"url": "http://127.0.0.1:8081", "description": "the proxy listener, where cells already send their key"}],
              "parameters": [{"name": "from", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}},
                             {"name": "to", "in": "query", "required": true, "description": "inclusive; at most 366 days after from", "schema": {"type": "string", "format": "date"}}],
              "responses": {"200": {"description": "the summary", "content": {"application/json": {"schema": {"type": "object", "properties": {
                              "from": {"type": "string"}, "to": {"type": "string"}, "totals": {"$ref": "#/components/schemas/SalesFigures"},
                              "days": {"type": "array", "items": {"$ref": "#/components/schemas/SalesFigures"}}, "top_products": {"type": "array", "items": {"$ref": "#/components/schemas/SalesFigures"}},
                              "categories": {"type": "array", "items": {"$ref": "#/components/schemas/SalesFigures"}},
                              "data_range": {"type": "object", "properties": {"first_sale_date": {"type": "string", "nullable": true}, "last_sale_date": {"type": "string", "nullable": true}}}}}}}},
                            "401": {"description": "missing, unknown or revoked tenant key"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/instance": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "give the tenant a running cell (or run its stopped one); the reconciler analyzes, configures and provisions",
               "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"backend": {"type": "string", "enum": ["local", "railway", "kubernetes"]}}}}}},
               "responses": {"202": {"description": "the instance", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                             "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                             "409": {"description": "suspended or being deleted, or the cell runs on another backend"}, "422": {"$ref": "#/components/responses/Invalid"}}},
      "get": {"summary": "the tenant's cell with its 20 latest events",
              "responses": {"200": {"description": "the instance", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"description": "no such tenant, or it has no cell"}}},
      "patch": {"summary": "stop (keeping its state) or start the cell",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["desired_state"], "properties": {"desired_state": {"type": "string", "enum": ["running", "stopped"]}}}}}},
                "responses": {"202": {"description": "the instance", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                              "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"},
                              "409": {"description": "suspended, deprovisioned or being deleted"}, "422": {"$ref": "#/components/responses/Invalid"}}},
      "delete": {"summary": "deprovision: remove the cell's resources and state; the tenant stays",
                 "responses": {"202": {"description": "the instance", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                               "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/instance/retry": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "try a failed (or backing-off) cell again now, with the attempt count reset",
               "responses": {"202": {"description": "the instance", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                             "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/instance/events": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "the cell's transitions, steps and errors, newest first",
              "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
              "responses": {"200": {"description": "events", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/InstanceEvent"}}}}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/agent/messages": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "post": {"summary": "talk to the tenant's agent: the message goes to its running OpenClaw gateway (model openclaw/default) with the gateway token Winston keeps sealed, and the answer comes back; the agent's model calls are charged to the tenant; audited as agent.message (sizes, model, usage; not the texts)",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["message"], "properties": {
                 "message": {"type": "string", "minLength": 1, "maxLength": 16384, "description": "at most 16 KiB (UTF-8 bytes)"},
                 "session": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$", "description": "continue a conversation: messages with the same session share one agent session; without it every message starts a new one"}}}}}},
               "responses": {"200": {"description": "the agent's answer", "content": {"application/json": {"schema": {"type": "object", "properties": {
                               "answer": {"type": "string"}, "model": {"type": "string", "description": "as the gateway reports it (openclaw/default)"},
                               "finish_reason": {"type": "string"}, "usage": {"type": "object", "nullable": true, "description": "as the gateway reports it: prompt_tokens, completion_tokens, total_tokens"},
                               "duration_ms": {"type": "integer"}, "session": {"type": "string", "nullable": true}, "instance_id": {"type": "string"}}}}}},
                             "401": {"$ref": "#/components/responses/Unauthorized"}, "402": {"description": "the agent could not call its model: the tenant has no credits"},
                             "404": {"$ref": "#/components/responses/NotFound"}, "409": {"description": "the tenant has no cell, or its cell is not running (the message names its state)"},
                             "422": {"$ref": "#/components/responses/Invalid"}, "502": {"description": "the gateway could not be reached, refused the token or failed"},
                             "504": {"description": "no answer within agent.message_timeout_ms (default 120 s)"}}}
    },
    "/v1/instances": {
      "get": {"summary": "every cell, newest first",
              "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"},
                             {"name": "state", "in": "query", "description": "only this actual_state, e.g. failed", "schema": {"type": "string"}}],
              "responses": {"200": {"description": "a page of instances", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/cell/config/{version}": {
      "get": {"summary": "a cell fetches its own tenant's config snapshot at start (remote cells; the key decides the tenant)", "security": [{"tenantKey": []}],
              "servers": [{"url": "http://127.0.0.1:8081", "description": "the proxy listener, where cells already send their key"}],
              "parameters": [{"name": "version", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
              "responses": {"200": {"description": "the snapshot", "content": {"application/json": {"schema": {"type": "object", "properties": {
                              "version": {"type": "integer"}, "content_hash": {"type": "string"}, "files": {"type": "object", "additionalProperties": {"type": "string"}}}}}}},
                            "401": {"description": "missing, unknown or revoked tenant key"}, "404": {"description": "the tenant has no such version"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/audit": {
      "get": {"summary": "the audit log, newest first (keyset pages: follow next_cursor)",
              "parameters": [{"name": "tenant", "in": "query", "description": "tenant id or slug: its rows and the row of its deletion (a deleted tenant by its id)", "schema": {"type": "string"}},
                             {"$ref": "#/components/parameters/AuditActor"}, {"$ref": "#/components/parameters/AuditAction"}, {"$ref": "#/components/parameters/AuditTarget"},
                             {"$ref": "#/components/parameters/AuditFrom"}, {"$ref": "#/components/parameters/AuditTo"}, {"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/AuditCursor"}],
              "responses": {"200": {"description": "a page of audit rows", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditPage"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/audit": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "one tenant's audit rows, newest first (keyset pages: follow next_cursor)",
              "parameters": [{"$ref": "#/components/parameters/AuditActor"}, {"$ref": "#/components/parameters/AuditAction"}, {"$ref": "#/components/parameters/AuditTarget"},
                             {"$ref": "#/components/parameters/AuditFrom"}, {"$ref": "#/components/parameters/AuditTo"}, {"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/AuditCursor"}],
              "responses": {"200": {"description": "a page of audit rows", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditPage"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    },
    "/v1/tenants/{id}/ledger": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "the tenant's ledger, newest first",
              "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
              "responses": {"200": {"description": "a page of ledger entries", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}
    },
    "/v1/tenants/{id}/usage": {
      "parameters": [{"$ref": "#/components/parameters/TenantId"}],
      "get": {"summary": "the proxy's usage rows for the tenant, newest first: one per request, input and output tokens apart, multiplier_milli, credits_mc, status",
              "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Offset"}],
              "responses": {"200": {"description": "a page of usage rows", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
                            "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Invalid"}}}
    }
  }
})json";
  return kDoc;
}

}  // namespace winston::api
