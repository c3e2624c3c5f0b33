#include "base/errno.h"

#include <cstring>

namespace moat {

std::string_view errno_name(Errno e) {
  switch (e) {
    case Errno::kERESTARTSYS:
      return "ERESTARTSYS";
    case Errno::kERESTARTNOINTR:
      return "ERESTARTNOINTR";
    case Errno::kERESTARTNOHAND:
      return "ERESTARTNOHAND";
    default:
      break;
  }
  const char* name = strerrorname_np(to_int(e));
  return name != nullptr ? std::string_view(name) : std::string_view("E?");
}

}  // namespace moat
