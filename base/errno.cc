#include "base/errno.h"

#include <cstring>

namespace moat {

std::string_view errno_name(Errno e) {
  const char* name = strerrorname_np(to_int(e));
  return name != nullptr ? std::string_view(name) : std::string_view("E?");
}

}  // namespace moat
