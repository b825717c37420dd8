// Reads and decodes every document of a database as a search hit's is read
// (read_stored, the body whole), three times, and prints the best time:
//   build/tests/bench_read_stored INDEX_ROOT/gen-000001
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <xapian.h>

#include "broadsheet/schema/document.hpp"

namespace bs = broadsheet::schema;

int main(int argc, char** argv) try {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DATABASE\n", argv[0]);
        return 2;
    }
    Xapian::Database db(argv[1]);
    const auto schema = bs::Schema::from_string(db.get_metadata(bs::metadata::schema));
    const auto dictionary = bs::load_record_dictionary(db);
    double best = 1e9;
    std::size_t body_bytes = 0;
    for (int round = 0; round < 3; ++round) {
        const auto start = std::chrono::steady_clock::now();
        body_bytes = 0;
        for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it)
            body_bytes +=
                bs::read_stored(schema, db.get_document(*it), bs::BodyReading::whole, dictionary.get()).body.size();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("%u documents, %zu body bytes, dictionary %s: best of 3 %.3f s\n", db.get_doccount(), body_bytes,
                dictionary ? "yes" : "no", best);
    return 0;
} catch (const Xapian::Error& e) {
    std::fprintf(stderr, "%s\n", e.get_description().c_str());
    return 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
}
