#include "base/result.h"

#include <cstring>

#include <fmt/format.h>

namespace moat {

Error host_error(std::string_view what, int err) {
  return Error{fmt::format("{}: {}", what, std::strerror(err)), err};
}

Error make_error(std::string message) {
  return Error{std::move(message), 0};
}

}  // namespace moat
