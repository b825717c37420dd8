#pragma once
// How a fuzz target reports a broken property.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace broadsheet::fuzz {

/// Prints what broke and the input, then aborts, which libFuzzer records as a crash.
[[noreturn]] inline void fail(const std::string& what, std::string_view input) {
    std::fprintf(stderr, "fuzz property broken: %s\ninput (%zu bytes): %.*s\n", what.c_str(), input.size(),
                 static_cast<int>(std::min<std::size_t>(input.size(), 2000)), input.data());
    std::abort();
}

}  // namespace broadsheet::fuzz
