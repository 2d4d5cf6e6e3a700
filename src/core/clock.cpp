#include "core/clock.hpp"

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

}  // namespace winston
