#pragma once
// The completion token every coroutine in Winston uses: `co_await op(..., kTuple)`
// returns (error_code, result...) instead of throwing, so network failures are
// values that the caller maps to a Result, never exceptions on the data path.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace winston::http {

inline constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace winston::http
