#include "core/log.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace winston::log {
namespace {

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void init(Level min_level) {
  auto logger = spdlog::get("winston");
  if (!logger) logger = spdlog::stderr_logger_mt("winston");
  // The message part is the inside of a JSON object; see write().
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%v})");
  logger->set_level(to_spdlog(min_level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

Level parse_level(std::string_view s) {
  if (s == "debug") return Level::kDebug;
  if (s == "warn") return Level::kWarn;
  if (s == "error") return Level::kError;
  return Level::kInfo;
}

void write(Level level, std::string_view event, boost::json::object fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(to_spdlog(level))) return;
  boost::json::object line;
  line["event"] = event;
  for (auto& [k, v] : fields) line[k] = std::move(v);
  std::string text = boost::json::serialize(line);
  logger->log(to_spdlog(level), std::string_view(text).substr(1, text.size() - 2));
}

}  // namespace winston::log
