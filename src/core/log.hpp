#pragma once
// Structured logging: one JSON object per line, {"ts","level","event",...}.
// Callers pass fields, never whole requests, so secrets cannot slip in.

#include <boost/json/object.hpp>

#include <string_view>

namespace winston::log {

enum class Level { kDebug, kInfo, kWarn, kError };

/// Configures the process-wide logger (stderr, JSON lines).
void init(Level min_level);
Level parse_level(std::string_view s);

void write(Level level, std::string_view event, boost::json::object fields = {});
inline void info(std::string_view event, boost::json::object fields = {}) { write(Level::kInfo, event, std::move(fields)); }
inline void warn(std::string_view event, boost::json::object fields = {}) { write(Level::kWarn, event, std::move(fields)); }
inline void error(std::string_view event, boost::json::object fields = {}) { write(Level::kError, event, std::move(fields)); }
inline void debug(std::string_view event, boost::json::object fields = {}) { write(Level::kDebug, event, std::move(fields)); }

}  // namespace winston::log
