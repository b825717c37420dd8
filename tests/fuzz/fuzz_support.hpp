#pragma once
// What the query and snippet fuzz targets share: a small index built
// the way the indexer builds one, and a query parser configured the way the
// server's searchers are (schema, database for wildcards, expansion limit).

#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/config.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "fuzz_check.hpp"

namespace broadsheet::fuzz {

class SmallIndex {
public:
    SmallIndex();

    [[nodiscard]] auto schema() const -> const schema::Schema& { return m_schema; }
    [[nodiscard]] auto database() const -> const Xapian::Database& { return m_db; }
    [[nodiscard]] auto parser() -> Xapian::QueryParser& { return m_parser; }
    [[nodiscard]] auto limits() const -> const server::ServerConfig& { return m_limits; }

private:
    schema::Schema m_schema = schema::Schema::default_schema();
    // Built on disk (the in-memory backend keeps no synonyms or spelling
    // data), then opened for reading, as the server does, and the files removed.
    Xapian::Database m_db;
    Xapian::QueryParser m_parser;
    server::ServerConfig m_limits;
};

/// One index for the whole fuzzing run: building it per input would dwarf the work under test.
[[nodiscard]] auto small_index() -> SmallIndex&;

/// /search parameters from fuzz input: one "name=value" per line (a line
/// without '=' is a name with an empty value), so seeds can be written by hand.
[[nodiscard]] auto parse_params(std::string_view input) -> server::Params;

/// The text a snippet or highlight shows: its <mark> tags taken out and its
/// escapes undone. Fails (see fail) on a tag other than <mark>, nested or
/// unbalanced marks, or an '&' that starts none of html_escape's escapes.
[[nodiscard]] auto shown_text(std::string_view html, std::string_view input) -> std::string;

}  // namespace broadsheet::fuzz
