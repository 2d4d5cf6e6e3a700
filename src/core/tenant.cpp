#include "core/tenant.hpp"

#include "core/text.hpp"
#include "core/utf8.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace winston {
namespace {

bool is_ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }



bool valid_dns_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return is_ascii_alnum(c) || c == '-'; });
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  int labels = 0;
  std::size_t start = 0;
  while (true) {
    const auto dot = domain.find('.', start);
    const auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_dns_label(label)) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

}  // namespace

std::string_view to_string(TenantStatus s) { return s == TenantStatus::kActive ? "active" : "suspended"; }

std::optional<TenantStatus> parse_tenant_status(std::string_view s) {
  if (s == "active") return TenantStatus::kActive;
  if (s == "suspended") return TenantStatus::kSuspended;
  return std::nullopt;
}

TierTable TierTable::defaults() {
  TierTable t;
  t.monthly_mc = {{"free", 50'000 * kMilliPerCredit},
                  {"starter", 250'000 * kMilliPerCredit},
                  {"pro", 1'000'000 * kMilliPerCredit},
                  {"enterprise", 5'000'000 * kMilliPerCredit}};
  return t;
}

std::optional<MilliCredits> TierTable::allotment(std::string_view tier) const {
  const auto it = monthly_mc.find(tier);
  if (it == monthly_mc.end()) return std::nullopt;
  return it->second;
}

std::string TierTable::names() const {
  std::string out;
  for (const auto& [name, _] : monthly_mc) out += (out.empty() ? "" : "|") + name;
  return out;
}

bool is_clean_utf8(std::string_view s, bool allow_newlines) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f) return false;
      ++i;
      continue;
    }
    const Utf8Char decoded = decode_utf8(s, i);
    if (decoded.length == 0) return false;
    if (decoded.cp >= 0x80 && decoded.cp < 0xA0) return false;  // C1 controls
    i += decoded.length;
  }
  return true;
}

Result<std::string> validate_name(std::string_view field, std::string_view name) {
  if (!is_clean_utf8(name, false)) {
    return Error::invalid(std::string(field), std::string(field) + " must be valid UTF-8 without control characters");
  }
  const auto t = trim(name);
  if (t.empty()) return Error::invalid(std::string(field), std::string(field) + " must not be empty");
  if (utf8_length(t) > kMaxNameLength) {
    return Error::invalid(std::string(field),
                          std::string(field) + " must be at most " + std::to_string(kMaxNameLength) + " characters");
  }
  return std::string(t);
}

Result<std::string> validate_email(std::string_view field, std::string_view email) {
  const auto bad = [&] {
    return Error::invalid(std::string(field), std::string(field) + " must be an email address like owner@example.com");
  };
  const auto e = trim(email);
  if (e.size() > 254) return bad();
  const auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || e.find('@', at + 1) != std::string_view::npos) return bad();
  const auto local = e.substr(0, at);
  const auto domain = e.substr(at + 1);
  const auto local_ok = [](char c) { return is_ascii_alnum(c) || std::string_view(".!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos; };
  if (!std::all_of(local.begin(), local.end(), local_ok)) return bad();
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return bad();
  if (!valid_domain(domain)) return bad();
  return to_lower(e);
}

Result<std::string> validate_website_url(std::string_view field, std::string_view url) {
  const auto bad = [&](std::string why) {
    return Error::invalid(std::string(field), std::string(field) + " " + why);
  };
  const auto u = trim(url);
  if (u.size() > 2048) return bad("must be at most 2048 characters");
  auto parsed = boost::urls::parse_absolute_uri(u);
  if (!parsed) return bad("must be an absolute http or https URL like https://example.com");
  const auto scheme = to_lower(parsed->scheme());
  if (scheme != "http" && scheme != "https") return bad("must use http or https");
  if (parsed->has_userinfo()) return bad("must not contain credentials");
  const auto host = parsed->encoded_host();
  if (host.empty()) return bad("must name a host");
  if (parsed->host_type() == boost::urls::host_type::name && !valid_domain(to_lower(host)) &&
      to_lower(host) != "localhost") {
    return bad("must name a valid host");
  }
  return std::string(u);
}

Result<std::string> validate_industry(std::string_view field, std::string_view industry) {
  const auto t = trim(industry);
  if (!is_clean_utf8(t, false) || utf8_length(t) > 100) {
    return Error::invalid(std::string(field), std::string(field) + " must be at most 100 printable characters");
  }
  return std::string(t);
}

Result<std::string> validate_slug(std::string_view field, std::string_view slug) {
  const bool ok = !slug.empty() && slug.size() <= kMaxSlugLength && slug.front() != '-' && slug.back() != '-' &&
                  std::all_of(slug.begin(), slug.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                  });
  if (!ok) {
    return Error::invalid(std::string(field), std::string(field) +
                                                  " must be 1-40 lowercase letters, digits or hyphens, "
                                                  "not starting or ending with a hyphen");
  }
  return std::string(slug);
}

std::string slugify(std::string_view name) {
  std::string out;
  bool pending_hyphen = false;
  for (char c : name) {
    if (is_ascii_alnum(c)) {
      if (pending_hyphen && !out.empty()) out += '-';
      pending_hyphen = false;
      out += to_lower(c);
    } else {
      pending_hyphen = true;
    }
    if (out.size() >= kMaxSlugLength) break;
  }
  out.resize(std::min(out.size(), kMaxSlugLength));
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "tenant" : out;
}

std::string slug_with_suffix(std::string_view base, int n) {
  const std::string suffix = "-" + std::to_string(n);
  std::string head(base.substr(0, kMaxSlugLength - suffix.size()));
  while (!head.empty() && head.back() == '-') head.pop_back();
  return head + suffix;
}

}  // namespace winston
