#pragma once
// Where a page nests deeper than a limit, found without parsing it.
//
// gumbo's scope checks walk the stack of open elements, so every tag of a
// page nested N deep costs time in proportion to N: 256 KiB of "<div></x>"
// takes over a minute. nesting_cut replays the tags on a stack the way the
// HTML tree builder does, closely enough and erring on the deep side, so the
// page can be cut where it first nests deeper than the limit. Whatever it
// misjudges, the parse budget of GumboArena still bounds.

#include <cstddef>
#include <string_view>

namespace winston::analyzer {

/// The offset of the tag that first takes the nesting depth of `html` past
/// `max_nesting` (elements whose end tag may be omitted not counted), or
/// std::string_view::npos when it never does.
std::size_t nesting_cut(std::string_view html, std::size_t max_nesting);

}  // namespace winston::analyzer
