#pragma once
// Highlighted text for hits: HTML-escaped, with matched terms in <mark>.

#include <string>
#include <string_view>

#include <xapian.h>

namespace broadsheet::server {

/// A passage of about `length` characters of `text` around the densest
/// matches of the query behind `mset`, "…" where it is cut. Falls back to
/// the start of the text when nothing matches. HTML-escaped.
[[nodiscard]] auto make_snippet(const Xapian::MSet& mset, std::string_view text, int length,
                                const Xapian::Stem& stemmer) -> std::string;

/// The whole of a short text (a title) with every match marked. HTML-escaped.
[[nodiscard]] auto highlight_all(const Xapian::MSet& mset, std::string_view text,
                                 const Xapian::Stem& stemmer) -> std::string;

}  // namespace broadsheet::server
