#pragma once
// Runs a blocking function (a database call) on the blocking pool and
// resumes the awaiting coroutine on its own executor with the result.
//
// Written as an asynchronous operation rather than a coroutine lambda, and
// taking the function by reference: GCC 12 destroys non-trivial temporaries
// of a co_await full-expression twice (seen under AddressSanitizer), so
// callers pass a named function object and no temporary of theirs is
// involved. The same rule holds for every co_await in the proxy: arguments
// with destructors are named locals, never temporaries.

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace winston::http {

/// co_await run_blocking(pool, fn) -> std::optional<R> holding fn()'s result.
/// (optional, because the awaitable machinery needs a default-constructible value.)
template <typename F, typename R = std::invoke_result_t<F&>>
auto run_blocking(boost::asio::thread_pool& pool, const F& fn) {
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(std::optional<R>)>(
      [&pool](auto handler, F f) {
        boost::asio::post(pool, [handler = std::move(handler), f = std::move(f)]() mutable {
          std::optional<R> result{f()};
          auto ex = boost::asio::get_associated_executor(handler);
          boost::asio::dispatch(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      boost::asio::use_awaitable, F(fn));
}

}  // namespace winston::http
