#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "broadsheet/indexer/record_source.hpp"
#include "test_support.hpp"

using namespace broadsheet::indexer;
namespace bt = broadsheet::testing;

namespace {

struct Collected {
    std::vector<RawRecord> records;
    std::vector<BadRecord> bad;
    std::vector<std::uint64_t> progress;

    [[nodiscard]] auto ids() const -> std::vector<std::string> {
        std::vector<std::string> out;
        for (const auto& r : records) out.push_back(r.value.value("id", std::string("?")));
        return out;
    }
};

auto read_all(const std::vector<std::string>& inputs, const SourceOptions& options = {}) -> Collected {
    Collected c;
    read_inputs(
        inputs, options, [&](RawRecord&& r) { c.records.push_back(std::move(r)); },
        [&](BadRecord&& b) { c.bad.push_back(std::move(b)); },
        [&](std::uint64_t bytes) { c.progress.push_back(bytes); });
    return c;
}

void write_gzip(const bt::fs::path& path, const std::string& content) {
    gzFile file = gzopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    REQUIRE(gzwrite(file, content.data(), static_cast<unsigned>(content.size())) == static_cast<int>(content.size()));
    REQUIRE(gzclose(file) == Z_OK);
}

auto record(const std::string& id) -> std::string {
    return R"({"id": ")" + id + R"(", "title": "Title )" + id + R"("})";
}

}  // namespace

TEST_CASE("each JSONL line becomes a record tagged with path and line") {
    bt::TempDir td;
    const auto path = td / "a.jsonl";
    bt::write_file(path, record("one") + "\n" + record("two") + "\n");
    const auto c = read_all({path.string()});
    REQUIRE(c.records.size() == 2);
    CHECK(c.bad.empty());
    CHECK(c.ids() == std::vector<std::string>{"one", "two"});
    CHECK(c.records[0].origin == path.string() + ":1");
    CHECK(c.records[1].origin == path.string() + ":2");
    CHECK(c.records[1].value["title"] == "Title two");
}

TEST_CASE("an invalid JSON line is reported with its line number and reading goes on") {
    bt::TempDir td;
    const auto path = td / "bad.jsonl";
    bt::write_file(path, record("one") + "\n" + record("two") + "\n" + R"({"id": "three", "title": )" + "\n" +
                             record("four") + "\n");
    const auto c = read_all({path.string()});
    CHECK(c.ids() == std::vector<std::string>{"one", "two", "four"});
    REQUIRE(c.bad.size() == 1);
    CHECK(c.bad[0].origin == path.string() + ":3");
    CHECK(c.bad[0].reason.starts_with("invalid JSON"));
    CHECK(c.bad[0].reason.find("json.exception") == std::string::npos);
    CHECK(c.bad[0].reason.size() < 300);
}

TEST_CASE("the bad_record fixture has one bad line, line 4") {
    const auto path = bt::fixture("bad_record.jsonl").string();
    const auto c = read_all({path});
    CHECK(c.records.size() == 4);
    REQUIRE(c.bad.size() == 1);
    CHECK(c.bad[0].origin == path + ":4");
    CHECK(c.records.back().origin == path + ":5");
}

TEST_CASE("the articles fixture reads as twelve records") {
    const auto c = read_all({bt::fixture("articles.jsonl").string()});
    CHECK(c.bad.empty());
    CHECK(c.records.size() == 12);
    for (const auto& r : c.records) {
        CHECK(r.value.contains("id"));
        CHECK(r.value.contains("title"));
    }
}

TEST_CASE("blank lines are skipped but still counted") {
    bt::TempDir td;
    const auto path = td / "blank.jsonl";
    bt::write_file(path, "\n" + record("one") + "\n   \n\t\r\n" + record("two") + "\r\n\n");
    const auto c = read_all({path.string()});
    CHECK(c.bad.empty());
    REQUIRE(c.records.size() == 2);
    CHECK(c.records[0].origin == path.string() + ":2");
    CHECK(c.records[1].origin == path.string() + ":5");
}

TEST_CASE("a last line without a newline is read") {
    bt::TempDir td;
    const auto path = td / "nolf.ndjson";
    bt::write_file(path, record("one") + "\n" + record("two"));
    CHECK(read_all({path.string()}).ids() == std::vector<std::string>{"one", "two"});
}

TEST_CASE("a JSON value that is not an object is a bad record") {
    bt::TempDir td;
    const auto path = td / "values.json";
    bt::write_file(path, "[1, 2]\n42\n\"text\"\nnull\n" + record("ok") + "\n");
    const auto c = read_all({path.string()});
    CHECK(c.ids() == std::vector<std::string>{"ok"});
    REQUIRE(c.bad.size() == 4);
    CHECK(c.bad[0].origin == path.string() + ":1");
    CHECK(c.bad[0].reason.find("not a JSON object") != std::string::npos);
    CHECK(c.bad[3].origin == path.string() + ":4");
}

TEST_CASE("invalid UTF-8 inside a JSON string is a bad record with a printable reason") {
    bt::TempDir td;
    const auto path = td / "latin1.jsonl";
    bt::write_file(path, "{\"id\": \"caf\xE9\"}\n" + record("ok") + "\n");
    const auto c = read_all({path.string()});
    CHECK(c.ids() == std::vector<std::string>{"ok"});
    REQUIRE(c.bad.size() == 1);
    for (const char ch : c.bad[0].reason) {
        CHECK((ch >= 0x20 && ch < 0x7F));
    }
}

TEST_CASE("lines longer than the read buffer are read whole") {
    bt::TempDir td;
    const auto path = td / "long.jsonl";
    const std::string body(3'000'000, 'x');
    bt::write_file(path,
                   record("short") + "\n" + R"({"id": "long", "body": ")" + body + "\"}\n" + record("after") + "\n");
    const auto c = read_all({path.string()});
    REQUIRE(c.ids() == std::vector<std::string>{"short", "long", "after"});
    CHECK(c.records[1].value["body"].get<std::string>().size() == body.size());
}

TEST_CASE("gzip-compressed JSONL is read directly") {
    bt::TempDir td;
    const auto path = td / "a.jsonl.gz";
    write_gzip(path, record("one") + "\nnot json\n" + record("three") + "\n");
    const auto c = read_all({path.string()});
    CHECK(c.ids() == std::vector<std::string>{"one", "three"});
    REQUIRE(c.bad.size() == 1);
    CHECK(c.bad[0].origin == path.string() + ":2");
}

TEST_CASE("a truncated gzip file is a read error") {
    bt::TempDir td;
    const auto whole = td / "whole.jsonl.gz";
    std::string content;
    for (int i = 0; i < 2000; ++i) content += record("r" + std::to_string(i)) + "\n";
    write_gzip(whole, content);
    const auto bytes = bt::read_file(whole);
    const auto cut = td / "cut.jsonl.gz";
    bt::write_file(cut, bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_AS(read_all({cut.string()}), std::runtime_error);
}

TEST_CASE("a directory is read recursively in sorted order by extension") {
    bt::TempDir td;
    const auto dir = td / "corpus";
    bt::write_file(dir / "b.jsonl", record("b1") + "\n" + record("b2") + "\n");
    bt::write_file(dir / "a.txt", "Alpha headline\nAlpha standfirst\nAlpha body.\n");
    bt::write_file(dir / "notes.md", "# not an input\n");
    bt::write_file(dir / "sub" / "c.txt", "Gamma headline\n");
    bt::write_file(dir / "sub" / "d.ndjson.gz", "ignored: written plain, replaced below\n");
    write_gzip(dir / "sub" / "d.ndjson.gz", record("d1") + "\n");
    bt::write_file(dir / "z.TXT", "Zed headline\n");

    const auto c = read_all({dir.string()});
    CHECK(c.bad.empty());
    CHECK(c.ids() == std::vector<std::string>{"a", "b1", "b2", "c", "d1", "z"});
    REQUIRE(c.records.size() == 6);
    CHECK(c.records[0].origin == (dir / "a.txt").string());
    CHECK(c.records[0].value["title"] == "Alpha headline");
    CHECK(c.records[0].value["subtitle"] == "Alpha standfirst");
    CHECK(c.records[0].value["body"] == "Alpha body.");
    CHECK(c.records[3].value["subtitle"] == "");
}

TEST_CASE("text file ids can be paths relative to the input directory") {
    bt::TempDir td;
    const auto dir = td / "corpus";
    bt::write_file(dir / "2014" / "06" / "story.txt", "Headline\n");
    bt::write_file(dir / "top.txt", "Headline\n");

    SourceOptions options;
    options.id_from_file_name = false;
    CHECK(read_all({dir.string()}, options).ids() == std::vector<std::string>{"2014/06/story", "top"});
    CHECK(read_all({dir.string()}).ids() == std::vector<std::string>{"story", "top"});
    CHECK(read_all({(dir / "2014" / "06" / "story.txt").string()}, options).ids() == std::vector<std::string>{"story"});
}

TEST_CASE("a text file that is not text is a bad record") {
    bt::TempDir td;
    const auto binary = td / "image.txt";
    bt::write_file(binary, std::string("GIF89a\0\0\x01", 9));
    const auto empty = td / "empty.txt";
    bt::write_file(empty, "");
    const auto c = read_all({binary.string(), empty.string()});
    CHECK(c.records.empty());
    REQUIRE(c.bad.size() == 2);
    CHECK(c.bad[0].origin == binary.string());
    CHECK(c.bad[0].reason.find("NUL") != std::string::npos);
    CHECK(c.bad[1].origin == empty.string());
    CHECK(c.bad[1].reason == "no title");
}

TEST_CASE("inputs are read in the order given") {
    bt::TempDir td;
    bt::write_file(td / "z.jsonl", record("z") + "\n");
    bt::write_file(td / "a.txt", "A headline\n");
    CHECK(read_all({(td / "z.jsonl").string(), (td / "a.txt").string()}).ids() == std::vector<std::string>{"z", "a"});
}

TEST_CASE("a nonexistent input throws before anything is read") {
    bt::TempDir td;
    bt::write_file(td / "ok.jsonl", record("ok") + "\n");
    const auto missing = (td / "missing.jsonl").string();
    Collected c;
    CHECK_THROWS_WITH_AS(read_inputs(
                             {(td / "ok.jsonl").string(), missing}, {},
                             [&](RawRecord&& r) { c.records.push_back(std::move(r)); },
                             [&](BadRecord&& b) { c.bad.push_back(std::move(b)); }),
                         ("input not found: " + missing).c_str(), std::runtime_error);
    CHECK(c.records.empty());
    CHECK_THROWS_AS((void)total_input_bytes({missing}), std::runtime_error);
}

TEST_CASE("a file named with an unknown extension is refused") {
    bt::TempDir td;
    bt::write_file(td / "data.csv", "id,title\n");
    CHECK_THROWS_AS(read_all({(td / "data.csv").string()}), std::runtime_error);
}

TEST_CASE("progress reaches the total input byte count") {
    bt::TempDir td;
    const auto dir = td / "corpus";
    std::string big;
    while (big.size() < 3'500'000) big += record("r" + std::to_string(big.size())) + "\n";
    bt::write_file(dir / "big.jsonl", big);
    write_gzip(dir / "small.jsonl.gz", big.substr(0, big.find('\n', 200'000) + 1));
    bt::write_file(dir / "story.txt", "Headline\nStandfirst\nBody.\n");
    bt::write_file(dir / "ignored.md", "not counted");
    const auto single = td / "single.jsonl";
    bt::write_file(single, record("single") + "\n");

    const std::vector<std::string> inputs = {dir.string(), single.string()};
    const auto total = total_input_bytes(inputs);
    CHECK(total == bt::fs::file_size(dir / "big.jsonl") + bt::fs::file_size(dir / "small.jsonl.gz") +
                       bt::fs::file_size(dir / "story.txt") + bt::fs::file_size(single));
    CHECK(total_input_bytes({"-"}) == 0);

    const auto c = read_all(inputs);
    CHECK(c.bad.empty());
    REQUIRE(c.progress.size() >= 3);  // periodic reports, not only the final one
    for (std::size_t i = 1; i < c.progress.size(); ++i) CHECK(c.progress[i] >= c.progress[i - 1]);
    CHECK(c.progress.back() == total);
}

namespace {

auto with_max_record_bytes(std::size_t bytes) -> SourceOptions {
    SourceOptions options;
    options.max_record_bytes = bytes;
    return options;
}

}  // namespace

TEST_CASE("a line over the record limit is a bad record with its line number, and reading goes on") {
    bt::TempDir td;
    const auto path = td / "long.jsonl";
    const auto limit = std::size_t{64} << 10;
    // One line just under, one inside one read chunk but over, one spanning several chunks.
    const std::string fits = R"({"id": "fits", "body": ")" + std::string(limit - 30, 'x') + "\"}";
    REQUIRE(fits.size() <= limit);
    const std::string over = R"({"id": "over", "body": ")" + std::string(limit, 'x') + "\"}";
    const std::string huge = R"({"id": "huge", "body": ")" + std::string(5'000'000, 'x') + "\"}";
    bt::write_file(path, record("one") + "\n" + fits + "\n" + over + "\n" + huge + "\n" + record("five") + "\n" + huge);
    const auto c = read_all({path.string()}, with_max_record_bytes(limit));
    CHECK(c.ids() == std::vector<std::string>{"one", "fits", "five"});
    REQUIRE(c.bad.size() == 3);
    CHECK(c.bad[0].origin == path.string() + ":3");
    CHECK(c.bad[0].reason == "line longer than 65536 bytes (--max-record-bytes)");
    CHECK(c.bad[1].origin == path.string() + ":4");
    CHECK(c.bad[2].origin == path.string() + ":6");  // the last line, without a newline
    CHECK(c.records[2].origin == path.string() + ":5");
}

TEST_CASE("a gzip bomb, one endless line, is a bad record once it passes the limit") {
    bt::TempDir td;
    const auto path = td / "bomb.jsonl.gz";
    // 64 MiB of zeros without a newline compress to about 64 KiB; with no limit
    // the whole of it would be kept to parse as one line.
    gzFile file = gzopen(path.c_str(), "wb9");
    REQUIRE(file != nullptr);
    const auto first = record("first") + "\n";
    REQUIRE(gzwrite(file, first.data(), static_cast<unsigned>(first.size())) == static_cast<int>(first.size()));
    const std::string zeros(std::size_t{1} << 20, '0');
    for (int i = 0; i < 64; ++i)
        REQUIRE(gzwrite(file, zeros.data(), static_cast<unsigned>(zeros.size())) == static_cast<int>(zeros.size()));
    REQUIRE(gzclose(file) == Z_OK);
    REQUIRE(bt::fs::file_size(path) < (std::size_t{1} << 20));

    const auto c = read_all({path.string()}, with_max_record_bytes(std::size_t{4} << 20));
    CHECK(c.ids() == std::vector<std::string>{"first"});
    REQUIRE(c.bad.size() == 1);
    CHECK(c.bad[0].origin == path.string() + ":2");
    CHECK(c.bad[0].reason.starts_with("line longer than 4194304 bytes"));
}

TEST_CASE("the default record limit is 16 MiB") { CHECK(SourceOptions{}.max_record_bytes == std::size_t{16} << 20); }

TEST_CASE("a text file over the record limit is a bad record, plain or compressed") {
    bt::TempDir td;
    const auto dir = td / "corpus";
    const std::string big = "Headline\nStandfirst\n" + std::string(100'000, 'x') + "\n";
    bt::write_file(dir / "a_big.txt", big);
    write_gzip(dir / "b_big.txt.gz", big);
    bt::write_file(dir / "c_small.txt", "Small headline\n");
    const auto c = read_all({dir.string()}, with_max_record_bytes(50'000));
    CHECK(c.ids() == std::vector<std::string>{"c_small"});
    REQUIRE(c.bad.size() == 2);
    CHECK(c.bad[0].origin == (dir / "a_big.txt").string());
    CHECK(c.bad[0].reason == "file longer than 50000 bytes (--max-record-bytes)");
    CHECK(c.bad[1].origin == (dir / "b_big.txt.gz").string());
    CHECK(c.bad[1].reason == "file longer than 50000 bytes (--max-record-bytes)");
}
