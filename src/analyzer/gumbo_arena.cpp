#include "analyzer/gumbo_arena.hpp"

#include <cstdlib>

namespace winston::analyzer {

GumboArena::GumboArena(std::chrono::milliseconds budget, std::size_t max_bytes)
    : deadline_(std::chrono::steady_clock::now() + budget), max_bytes_(max_bytes) {
  head_.prev = head_.next = &head_;
}

GumboArena::~GumboArena() {
  for (Header* h = head_.next; h != &head_;) {
    Header* next = h->next;
    std::free(h);  // NOLINT(cppcoreguidelines-no-malloc): gumbo's allocator contract is malloc-like
    h = next;
  }
}

GumboOptions GumboArena::options() {
  GumboOptions o = kGumboDefaultOptions;
  o.allocator = &GumboArena::allocate;
  o.deallocator = &GumboArena::deallocate;
  o.userdata = this;
  return o;
}

void* GumboArena::allocate(void* self, std::size_t size) {
  auto& a = *static_cast<GumboArena*>(self);
  const bool late = ++a.calls_ % 64 == 0 && std::chrono::steady_clock::now() > a.deadline_;
  const bool over = a.live_bytes_ + size > a.max_bytes_;
  void* raw = late || over ? nullptr : std::malloc(sizeof(Header) + size);  // NOLINT(cppcoreguidelines-no-malloc)
  if (raw == nullptr) std::longjmp(a.abort_, 1);
  auto* h = static_cast<Header*>(raw);
  h->size = size;
  h->prev = &a.head_;
  h->next = a.head_.next;
  a.head_.next->prev = h;
  a.head_.next = h;
  a.live_bytes_ += size;
  return h + 1;
}

void GumboArena::deallocate(void* self, void* ptr) {
  if (ptr == nullptr) return;
  auto& a = *static_cast<GumboArena*>(self);
  Header* h = static_cast<Header*>(ptr) - 1;
  h->prev->next = h->next;
  h->next->prev = h->prev;
  a.live_bytes_ -= h->size;
  std::free(h);  // NOLINT(cppcoreguidelines-no-malloc)
}

// Nothing in this frame has a destructor for longjmp to skip.
GumboOutput* parse_bounded(GumboArena& arena, const GumboOptions* options, std::string_view html) {
  const char* data = html.empty() ? "" : html.data();
  if (setjmp(arena.abort_point()) != 0) return nullptr;  // NOLINT(cert-err52-cpp)
  return gumbo_parse_with_options(options, data, html.size());
}

}  // namespace winston::analyzer
