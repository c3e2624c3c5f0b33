#include "base/log.h"

#include <array>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace moat::log {
namespace {

std::shared_ptr<spdlog::logger> make(const char* name) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(std::string("moat[") + name + "]", sink);
  logger->set_pattern("%n %l: %v");
  logger->set_level(spdlog::level::warn);
  return logger;
}

struct Loggers {
  std::shared_ptr<spdlog::logger> sentry = make("sentry");
  std::shared_ptr<spdlog::logger> kvm = make("kvm");
  std::shared_ptr<spdlog::logger> loader = make("loader");
  std::shared_ptr<spdlog::logger> net = make("net");
  std::shared_ptr<spdlog::logger> cli = make("cli");

  std::array<spdlog::logger*, 5> all() {
    return {sentry.get(), kvm.get(), loader.get(), net.get(), cli.get()};
  }
};

Loggers& loggers() {
  static Loggers instance;
  return instance;
}

}  // namespace

spdlog::logger& sentry() {
  return *loggers().sentry;
}
spdlog::logger& kvm() {
  return *loggers().kvm;
}
spdlog::logger& loader() {
  return *loggers().loader;
}
spdlog::logger& net() {
  return *loggers().net;
}
spdlog::logger& cli() {
  return *loggers().cli;
}

bool set_level(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return false;
  }
  for (auto* logger : loggers().all()) {
    logger->set_level(parsed);
  }
  return true;
}

}  // namespace moat::log
