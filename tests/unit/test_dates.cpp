#include <doctest/doctest.h>

#include "broadsheet/schema/dates.hpp"

using broadsheet::schema::parse_date;

TEST_CASE("ISO dates of every precision parse") {
    CHECK(parse_date("1987")->iso() == "1987");
    CHECK(parse_date("1987")->sortable() == "19870101000000");
    CHECK(parse_date("1987-03")->iso() == "1987-03");
    CHECK(parse_date("2014-06-03T00:00:00")->iso() == "2014-06-03T00:00:00");  // an explicit midnight stays
    CHECK(parse_date("1987-02-26")->iso() == "1987-02-26");
    CHECK(parse_date("1987-02-26T15:01:01")->iso() == "1987-02-26T15:01:01");
    CHECK(parse_date("1987-02-26 15:01")->iso() == "1987-02-26T15:01:00");
    CHECK(parse_date("2014-06-03T10:15:00Z")->iso() == "2014-06-03T10:15:00");
    CHECK(parse_date("2014-06-03T10:15:00.123+02:00")->iso() == "2014-06-03T10:15:00");
    CHECK(parse_date("2014-06-03T10:15:00-0500")->iso() == "2014-06-03T10:15:00");
    CHECK(parse_date("  2014-06-03 ")->iso() == "2014-06-03");
}

TEST_CASE("impossible and malformed dates are rejected") {
    for (const char* bad :
         {"", "87", "1987-13-01", "1987-02-30", "2023-02-29", "1987-1-5", "26-FEB-1987", "1987-02-26T25:00",
          "1987-02-26T10", "1987T10:00", "1987-02-26X", "yesterday", "2014-06-03T10:15:00+99:00"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_date(bad).has_value());
    }
    CHECK(parse_date("2024-02-29").has_value());  // a leap year
}

TEST_CASE("sortable form orders dates in time order") {
    CHECK(parse_date("1987-02-26T15:01:01")->sortable() == "19870226150101");
    CHECK(parse_date("1999-12-31")->sortable() < parse_date("2000-01-01")->sortable());
    CHECK(parse_date("2000-01-01T00:00:01")->sortable() > parse_date("2000-01-01")->sortable());
    CHECK(parse_date("0999")->year_string() == "0999");
}

TEST_CASE("a period ends at its last second") {
    CHECK(parse_date("2014")->end_of_period() == "20141231235959");
    CHECK(parse_date("2016-02")->end_of_period() == "20160229235959");
    CHECK(parse_date("2014-06-03")->end_of_period() == "20140603235959");
    CHECK(parse_date("2014-06-03T10:15")->end_of_period() == "20140603101500");
}
