#include "core/clock.hpp"

#include <cstdio>

namespace winston {

EpochMs add_one_month(EpochMs t) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{t}};
  const auto day = floor<days>(tp);
  const auto time_of_day = tp - day;
  year_month_day ymd{day};
  year_month_day next = ymd + months{1};
  if (!next.ok()) next = year_month_day_last{next.year(), month_day_last{next.month()}};
  return (sys_days{next} + time_of_day).time_since_epoch().count();
}

std::string iso_date(EpochMs t) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_time<milliseconds>{milliseconds{t}})};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace winston
