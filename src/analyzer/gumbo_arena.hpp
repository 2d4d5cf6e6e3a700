#pragma once
// gumbo, bounded: one page's parse in an arena that abandons it once it runs
// over its time or memory budget.

#include <gumbo.h>

#include <chrono>
#include <csetjmp>
#include <cstddef>
#include <string_view>

namespace winston::analyzer {

/// Owns every allocation gumbo makes while parsing one page. Freeing them all
/// at once replaces gumbo_destroy_output, which recurses once per level of
/// nesting; and a parse that runs over its time or memory budget is abandoned
/// from inside the allocator with longjmp, which is safe because only gumbo's
/// C frames lie between parse_bounded() and the allocator.
class GumboArena {
 public:
  GumboArena(std::chrono::milliseconds budget, std::size_t max_bytes);
  ~GumboArena();
  GumboArena(const GumboArena&) = delete;
  GumboArena& operator=(const GumboArena&) = delete;

  /// gumbo's defaults with this arena as the allocator.
  GumboOptions options();
  std::jmp_buf& abort_point() { return abort_; }

 private:
  struct alignas(std::max_align_t) Header {
    Header* prev;
    Header* next;
    std::size_t size;
  };
  static void* allocate(void* self, std::size_t size);
  static void deallocate(void* self, void* ptr);

  Header head_{};
  std::chrono::steady_clock::time_point deadline_;
  std::size_t max_bytes_;
  std::size_t live_bytes_ = 0;
  std::size_t calls_ = 0;
  std::jmp_buf abort_{};
};

/// gumbo's tree of `html`, or nullptr when the arena abandoned the parse. The
/// tree lives as long as `arena`; `options` must come from arena.options().
GumboOutput* parse_bounded(GumboArena& arena, const GumboOptions* options, std::string_view html);

}  // namespace winston::analyzer
