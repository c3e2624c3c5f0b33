#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace moat::log {

// One logger per subsystem. Debug output goes to stderr with a "moat[NAME]"
// prefix; the guest's own output is never mixed into these loggers.
spdlog::logger& sentry();
spdlog::logger& kvm();
spdlog::logger& loader();
spdlog::logger& net();
spdlog::logger& cli();

// Sets the level of every logger ("off", "error", "warn", "info", "debug",
// "trace"). Returns false for an unknown name.
bool set_level(std::string_view level);

}  // namespace moat::log

// Hot-path logging that compiles out of release builds.
#ifdef NDEBUG
#define MOAT_DEBUG(logger, ...) ((void)0)
#else
#define MOAT_DEBUG(logger, ...) (logger).debug(__VA_ARGS__)
#endif
