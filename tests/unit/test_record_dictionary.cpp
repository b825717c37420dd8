#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include <zstd.h>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/record_dictionary.hpp"
#include "test_support.hpp"

using namespace broadsheet::schema;
using broadsheet::testing::news_records;
using broadsheet::testing::TempDir;
using nlohmann::json;

namespace {

// The records make_document would compress, from `count` news records.
auto samples(std::size_t count, unsigned seed) -> std::vector<std::string> {
    const auto schema = Schema::default_schema();
    std::istringstream lines(news_records(count, seed));
    std::vector<std::string> out;
    for (std::string line; std::getline(lines, line);)
        if (auto sample = record_sample(schema, normalize_record(schema, json::parse(line))))
            out.push_back(std::move(*sample));
    return out;
}

auto trained(unsigned seed = 1) -> RecordDictionary {
    auto bytes = train_record_dictionary(samples(1500, seed));
    REQUIRE(bytes);
    return RecordDictionary(std::move(*bytes));
}

}  // namespace

TEST_CASE("too few records train no dictionary") {
    CHECK_FALSE(train_record_dictionary(samples(min_dictionary_samples - 1, 1)));
    CHECK_FALSE(train_record_dictionary({}));
}

TEST_CASE("a trained dictionary compresses records far better than zstd alone, and back") {
    const auto dictionary = trained();
    CHECK(dictionary.id() != 0);
    CHECK(dictionary.bytes().size() <= record_dictionary_bytes);
    std::size_t plain = 0, alone = 0, with = 0;
    for (const auto& record : samples(200, 2)) {  // records it was not trained on
        std::string frame;
        dictionary.compress(record, frame);
        CHECK(dictionary.decompress(frame) == record);
        std::string single(ZSTD_compressBound(record.size()), '\0');
        alone += ZSTD_compress(single.data(), single.size(), record.data(), record.size(), 3);
        plain += record.size();
        with += frame.size();
    }
    CHECK(with < alone / 2);
    CHECK(with < plain / 4);
}

TEST_CASE("bytes that are no dictionary, or a damaged one, are refused with a reason") {
    CHECK_THROWS_WITH_AS(RecordDictionary{std::string(4096, 'x')}, doctest::Contains("not a zstd dictionary"),
                         std::runtime_error);
    CHECK_THROWS_AS(RecordDictionary{std::string()}, std::runtime_error);
    // The magic number and id intact, the entropy tables after them not.
    auto damaged = trained().bytes();
    for (std::size_t i = 8; i < 200; ++i) damaged[i] = static_cast<char>(0xff);
    CHECK_THROWS_WITH_AS(RecordDictionary{damaged}, doctest::Contains("damaged"), std::runtime_error);
}

TEST_CASE("a frame made with another dictionary, or damaged, is refused with a reason") {
    const auto one = trained(1);
    auto other_bytes = train_record_dictionary(samples(1500, 3));
    REQUIRE(other_bytes);
    const RecordDictionary other(std::move(*other_bytes));
    REQUIRE(one.id() != other.id());
    std::string frame;
    one.compress(samples(1, 4).front(), frame);
    CHECK_THROWS_WITH_AS((void)other.decompress(frame), doctest::Contains("another dictionary"), std::runtime_error);
    auto damaged = frame;
    for (std::size_t i = damaged.size() / 2; i < damaged.size(); ++i) damaged[i] = static_cast<char>(~damaged[i]);
    CHECK_THROWS_AS((void)one.decompress(damaged), std::runtime_error);
    CHECK_THROWS_AS((void)one.decompress(frame.substr(0, 3)), std::runtime_error);
}

TEST_CASE("a database holds its dictionary in its metadata, or none") {
    TempDir dir;
    Xapian::WritableDatabase db((dir / "db").string(), Xapian::DB_CREATE);
    CHECK(load_record_dictionary(db) == nullptr);
    const auto dictionary = trained();
    db.set_metadata(metadata::record_dictionary, dictionary.bytes());
    db.commit();
    auto loaded = load_record_dictionary(db);
    REQUIRE(loaded);
    CHECK(loaded->id() == dictionary.id());
    db.set_metadata(metadata::record_dictionary, "not a dictionary");
    db.commit();
    CHECK_THROWS_AS((void)load_record_dictionary(db), std::runtime_error);
}
