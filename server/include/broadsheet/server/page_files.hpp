#pragma once
// The pages' templates (server/templates) and style and script
// (server/assets), compiled into the binary.

#include <span>
#include <string_view>

namespace broadsheet::server {

struct PageFile {
    std::string_view name;  ///< path under server/, e.g. "templates/page.tpl"
    std::string_view text;
};

/// Every page file, in the order server/CMakeLists.txt lists them.
[[nodiscard]] auto page_files() -> std::span<const PageFile>;

}  // namespace broadsheet::server
