#include "analyzer/site.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace winston::analyzer {
namespace json = boost::json;
namespace {

json::array strings(const std::vector<std::string>& v) {
  json::array out;
  out.reserve(v.size());
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

}  // namespace

json::value to_json(const JsonLdBusiness& b) {
  return json::object{
      {"type", b.type},
      {"name", b.name},
      {"address", json::object{{"street", b.street},
                               {"locality", b.locality},
                               {"region", b.region},
                               {"postal_code", b.postal_code},
                               {"country", b.country}}},
      {"telephone", b.telephone},
      {"url", b.url},
      {"opening_hours", strings(b.opening_hours)},
  };
}

json::value to_json(const ExtractedPage& p) {
  json::array businesses;
  for (const auto& b : p.businesses) businesses.push_back(to_json(b));
  return json::object{
      {"url", p.url},
      {"title", p.title},
      {"meta_description", p.meta_description},
      {"headings", strings(p.headings)},
      {"text", p.text},
      {"businesses", std::move(businesses)},
      {"links", strings(p.links)},
  };
}

json::value to_json(const SiteCrawl& c) {
  json::array pages;
  for (const auto& p : c.pages) pages.push_back(to_json(p));
  return json::object{
      {"start_url", c.start_url},
      {"pages", std::move(pages)},
      {"warnings", strings(c.warnings)},
  };
}

}  // namespace winston::analyzer
