option(MOAT_WERROR "Treat compiler warnings as errors (CI builds)" OFF)
option(MOAT_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(MOAT_BUILD_TESTS "Build unit, kvm and integration tests" ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
