#pragma once
// The one place that reads Xapian's private query serialisation, for what the
// public API of Xapian 1.4 does not say about a query: a wildcard's pattern,
// and the window of a phrase or NEAR group.

#include <optional>
#include <string>

#include <xapian.h>

namespace broadsheet::server {

/// Whether wildcard_pattern can read the query serialisation of this Xapian
/// release: the 1.4 series, whose format is fixed by its remote protocol.
[[nodiscard]] auto knows_query_serialisation(int major, int minor, int revision) -> bool;

/// The same for the Xapian this program runs with (Xapian::major_version() ...).
[[nodiscard]] auto knows_running_query_serialisation() -> bool;

/// The pattern (with its field prefix) of an OP_WILDCARD query, or nullopt
/// when the running Xapian is not a release whose format this knows, or the
/// serialisation is not as expected. Callers must then find the words the
/// wildcard stands for another way (SnippetTerms asks Xapian to expand it).
[[nodiscard]] auto wildcard_pattern(const Xapian::Query& wildcard) -> std::optional<std::string>;

/// The window of an OP_PHRASE or OP_NEAR query (the default, 0, reads as its
/// number of subqueries), or nullopt when it is not one or its serialisation
/// is not as expected. Checked: the same operator over the same subqueries
/// with this window serialises to the same bytes.
[[nodiscard]] auto positional_window(const Xapian::Query& query) -> std::optional<Xapian::termcount>;

}  // namespace broadsheet::server
