// The conformance suite's runner (DESIGN.md, "Conformance suite"). For each
// GoogleTest program it lists the cases, runs each case natively and under
// `moat run`, each with a timeout, and prints a table of the results and a
// per-syscall report generated from sentry/syscalls/syscalls.def: each row's
// status and the cases that cover it (from the "syscalls" property that
// passing native runs record in GoogleTest's JSON output).
//
//   conformance_runner --moat PATH [--timeout SECONDS] [--known-failures FILE]
//                      [--json FILE] [--work DIR] TEST_PROGRAM...
//
// moat runs with --log-level debug, so a failing case's output carries the
// sentry's account of it (a fatal fault comes with every register).
//
// Exits 1 when a case fails natively (a wrong test), fails under moat without
// being listed in the known-failures file, or when a row the table marks
// supported or partial has no covering case; 2 on usage errors.
//
// Every run gets /dev/null as stdin, a file as stdout and stderr, and
// MOAT_CONFORMANCE=1 in its environment. Besides the GoogleTest cases, the
// runner checks the exit statuses of process_test's exit probes (exit and
// exit_group) itself.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct TableRow {
  const char* name;
  int number;
  const char* status;  // supported, partial, unsupported
};

#if MOAT_CONFORMANCE_AMD64
#define MOAT_NUMBER(amd64, arm64) (amd64)
#else
#define MOAT_NUMBER(amd64, arm64) (arm64)
#endif

const char* status_name(const char* token) {
  return std::strcmp(token, "kSupported") == 0 ? "supported" : "partial";
}

const std::vector<TableRow>& table() {
  static const std::vector<TableRow> rows = [] {
    std::vector<TableRow> out;
#define SYSCALL(name, amd64, arm64, status, ...) \
  out.push_back({#name, MOAT_NUMBER(amd64, arm64), status_name(#status)});
#define UNSUPPORTED(name, amd64, arm64, ...) \
  out.push_back({#name, MOAT_NUMBER(amd64, arm64), "unsupported"});
#include "sentry/syscalls/syscalls.def"
#undef SYSCALL
#undef UNSUPPORTED
    std::vector<TableRow> present;
    for (const TableRow& row : out) {
      if (row.number >= 0) {
        present.push_back(row);
      }
    }
    return present;
  }();
  return rows;
}

enum class Outcome { kPass, kFail, kTimeout, kCrash };

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "PASS";
    case Outcome::kFail:
      return "FAIL";
    case Outcome::kTimeout:
      return "TIMEOUT";
    case Outcome::kCrash:
      return "CRASH";
  }
  return "?";
}

struct RunResult {
  bool timed_out = false;
  int status = 0;  // from waitpid
  std::string output;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv with /dev/null as stdin and `log` as stdout and stderr; kills it
// after `timeout_s` seconds.
RunResult run(const std::vector<std::string>& argv, const std::string& log, int timeout_s) {
  RunResult result;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pid_t pid = fork();
  if (pid < 0) {
    perror("conformance_runner: fork");
    exit(2);
  }
  if (pid == 0) {
    sigprocmask(SIG_UNBLOCK, &chld, nullptr);
    setpgid(0, 0);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) {
      _exit(120);
    }
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    close(in);
    close(out);
    setenv("MOAT_CONFORMANCE", "1", 1);
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += timeout_s;
  for (;;) {
    int status;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.status = status;
      break;
    }
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec ||
        (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      result.status = status;
      break;
    }
    timespec wait = {0, 0};
    wait.tv_nsec = 1000000;  // SIGCHLD is blocked: wake on it or after 1 ms.
    sigtimedwait(&chld, nullptr, &wait);
  }
  result.output = read_file(log);
  return result;
}

// A GoogleTest case's verdict from its exit status and output.
Outcome case_outcome(const RunResult& r, const std::string& name, bool under_moat) {
  if (r.timed_out) {
    return Outcome::kTimeout;
  }
  if (WIFSIGNALED(r.status)) {
    return Outcome::kCrash;
  }
  int code = WEXITSTATUS(r.status);
  // moat: 128+N when signal N killed the program, 125-127 when it could not run it.
  if (under_moat && code >= 125) {
    return Outcome::kCrash;
  }
  if (code == 0 && r.output.find("[       OK ] " + name) != std::string::npos) {
    return Outcome::kPass;
  }
  return Outcome::kFail;
}

// The "syscalls" property of the one case in a GoogleTest JSON report.
std::vector<std::string> covered_syscalls(const std::string& json) {
  std::vector<std::string> out;
  static const std::string kKey = "\"syscalls\": \"";
  size_t at = json.find(kKey);
  if (at == std::string::npos) {
    return out;
  }
  size_t end = json.find('"', at + kKey.size());
  std::stringstream list(json.substr(at + kKey.size(), end - at - kKey.size()));
  std::string name;
  while (std::getline(list, name, ',')) {
    if (!name.empty()) {
      out.push_back(name);
    }
  }
  return out;
}

// Cases listed by `PROGRAM --gtest_list_tests`, as Suite.Case.
std::vector<std::string> list_cases(const std::string& program, const std::string& log) {
  RunResult r = run({program, "--gtest_list_tests"}, log, 30);
  std::vector<std::string> cases;
  if (r.timed_out || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
    fprintf(stderr, "conformance_runner: %s --gtest_list_tests failed:\n%s\n", program.c_str(),
            r.output.c_str());
    return cases;
  }
  std::stringstream lines(r.output);
  std::string line;
  std::string suite;
  while (std::getline(lines, line)) {
    if (line.empty()) {
      continue;
    }
    std::string word = line.substr(0, line.find_first_of(" #", line.find_first_not_of(' ')));
    if (line[0] != ' ') {
      suite = word;
    } else {
      cases.push_back(suite + word.substr(word.find_first_not_of(' ')));
    }
  }
  return cases;
}

std::string basename_of(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      continue;
    }
    out += c;
  }
  return out;
}

struct CaseResult {
  std::string program;
  std::string name;
  Outcome native;
  Outcome moat;
  std::vector<std::string> syscalls;
  std::string known_reason;  // non-empty when listed in the known-failures file
  std::string native_output;
  std::string moat_output;
};

// How a run ended, for the failure report.
std::string ending(const RunResult& r) {
  if (r.timed_out) {
    return "(timed out)\n";
  }
  if (WIFSIGNALED(r.status)) {
    return "(killed by signal " + std::to_string(WTERMSIG(r.status)) + ")\n";
  }
  return "(exit status " + std::to_string(WEXITSTATUS(r.status)) + ")\n";
}

// Runs a case under moat and records its outcome in `c`.
template <typename Verdict>
void run_under_moat(CaseResult& c, const std::vector<std::string>& argv, const std::string& log,
                    int timeout_s, Verdict verdict) {
  RunResult r = run(argv, log, timeout_s);
  c.moat = verdict(r);
  c.moat_output = r.output + ending(r);
}

void usage() {
  fprintf(stderr,
          "usage: conformance_runner --moat PATH [--timeout SECONDS] [--known-failures FILE]\n"
          "                          [--json FILE] [--work DIR]\n"
          "                          TEST_PROGRAM...\n");
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string moat;
  std::string known_path;
  std::string json_path;
  std::string work = getenv("TMPDIR") != nullptr ? getenv("TMPDIR") : "/tmp";
  int timeout_s = 30;
  std::vector<std::string> programs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
      }
      return argv[++i];
    };
    if (arg == "--moat") {
      moat = value();
    } else if (arg == "--timeout") {
      timeout_s = atoi(value().c_str());
    } else if (arg == "--known-failures") {
      known_path = value();
    } else if (arg == "--json") {
      json_path = value();
    } else if (arg == "--work") {
      work = value();
    } else if (!arg.empty() && arg[0] == '-') {
      usage();
    } else {
      programs.push_back(arg);
    }
  }
  if (moat.empty() || programs.empty() || timeout_s <= 0) {
    usage();
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);

  std::string dir = work + "/moat-conformance." + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0700) != 0) {
    fprintf(stderr, "conformance_runner: mkdir %s: %s\n", dir.c_str(), strerror(errno));
    return 2;
  }
  std::string log = dir + "/log";
  std::string json_out = dir + "/case.json";

  std::map<std::string, std::string> known;
  if (!known_path.empty()) {
    std::ifstream in(known_path);
    std::string line;
    while (std::getline(in, line)) {
      size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line[start] == '#') {
        continue;
      }
      size_t end = line.find_first_of(" \t", start);
      std::string name = line.substr(start, end - start);
      size_t reason = end == std::string::npos ? end : line.find_first_not_of(" \t", end);
      known[name] = reason == std::string::npos ? "(no reason given)" : line.substr(reason);
    }
  }

  std::vector<CaseResult> results;
  bool failed = false;
  for (const std::string& program : programs) {
    for (const std::string& name : list_cases(program, log)) {
      CaseResult c;
      c.program = basename_of(program);
      c.name = name;
      RunResult native = run({program, "--gtest_filter=" + name, "--gtest_output=json:" + json_out},
                             log, timeout_s);
      c.native = case_outcome(native, name, false);
      c.native_output = native.output;
      if (c.native == Outcome::kPass) {
        c.syscalls = covered_syscalls(read_file(json_out));
      }
      unlink(json_out.c_str());
      run_under_moat(
          c, {moat, "run", "--log-level", "debug", "--", program, "--gtest_filter=" + name}, log,
          timeout_s, [&](const RunResult& r) { return case_outcome(r, name, true); });
      if (known.count(name) != 0) {
        c.known_reason = known[name];
      }
      results.push_back(std::move(c));
    }
    // The exit probes: process_test ends itself with exit or exit_group.
    if (basename_of(program) == "process_test") {
      for (const char* call : {"exit", "exit_group"}) {
        CaseResult c;
        c.program = "process_test";
        c.name = std::string("ExitProbe.") + call;
        std::string flag = std::string("--moat-exit=") + call + ":42";
        auto outcome = [&](const RunResult& r) {
          if (r.timed_out) {
            return Outcome::kTimeout;
          }
          if (WIFSIGNALED(r.status)) {
            return Outcome::kCrash;
          }
          int code = WEXITSTATUS(r.status);
          if (code == 42) {
            return Outcome::kPass;
          }
          return code >= 125 ? Outcome::kCrash : Outcome::kFail;
        };
        RunResult native = run({program, flag}, log, timeout_s);
        c.native = outcome(native);
        c.native_output = native.output + ending(native);
        if (c.native == Outcome::kPass) {
          c.syscalls = {call};
        }
        run_under_moat(c, {moat, "run", "--log-level", "debug", "--", program, flag}, log,
                       timeout_s, outcome);
        if (known.count(c.name) != 0) {
          c.known_reason = known[c.name];
        }
        results.push_back(std::move(c));
      }
    }
  }
  unlink(log.c_str());
  rmdir(dir.c_str());

  // The results table.
  printf("%-22s %-58s %-8s %-8s\n", "program", "case", "native", "moat");
  int native_pass = 0;
  int moat_pass = 0;
  for (const CaseResult& c : results) {
    std::string note;
    if (c.native != Outcome::kPass) {
      note = "  <- fails natively: a wrong test";
      failed = true;
    } else if (c.moat != Outcome::kPass && !c.known_reason.empty()) {
      note = "  (known: " + c.known_reason + ")";
    } else if (c.moat != Outcome::kPass) {
      note = "  <- moat differs from Linux";
      failed = true;
    } else if (!c.known_reason.empty()) {
      note = "  (listed as a known failure but passes: remove it from the list)";
    }
    native_pass += c.native == Outcome::kPass;
    moat_pass += c.moat == Outcome::kPass;
    printf("%-22s %-58s %-8s %-8s%s\n", c.program.c_str(), c.name.c_str(), outcome_name(c.native),
           outcome_name(c.moat), note.c_str());
  }
  printf("\n%zu cases: %d pass natively, %d pass under moat\n", results.size(), native_pass,
         moat_pass);

  // The per-syscall report.
  std::map<std::string, std::vector<const CaseResult*>> covering;
  std::set<std::string> names;
  for (const TableRow& row : table()) {
    names.insert(row.name);
  }
  for (const CaseResult& c : results) {
    for (const std::string& s : c.syscalls) {
      if (names.count(s) == 0) {
        printf("\n%s covers \"%s\", which is not in the syscall table for this architecture\n",
               c.name.c_str(), s.c_str());
        failed = true;
      }
      covering[s].push_back(&c);
    }
  }
  printf("\n%-24s %-12s %-10s %s\n", "syscall", "status", "moat", "covered by");
  int uncovered = 0;
  std::map<std::string, int> per_status;
  for (const TableRow& row : table()) {
    ++per_status[row.status];
    const auto& cases = covering[row.name];
    bool claims = std::strcmp(row.status, "unsupported") != 0;
    if (!claims && cases.empty()) {
      continue;  // Listed only as a count below.
    }
    int pass = 0;
    std::string list;
    for (const CaseResult* c : cases) {
      pass += c->moat == Outcome::kPass;
      list += (list.empty() ? "" : " ") + c->name;
    }
    std::string verdict = std::to_string(pass) + "/" + std::to_string(cases.size());
    if (claims && cases.empty()) {
      list = "NONE: a row claiming support needs a covering test";
      ++uncovered;
      failed = true;
    }
    printf("%-24s %-12s %-10s %s\n", row.name, row.status, verdict.c_str(), list.c_str());
  }
  printf(
      "\n%zu syscalls in the table: %d supported, %d partial, %d unsupported (ENOSYS); %d "
      "supported or partial without a covering test\n",
      table().size(), per_status["supported"], per_status["partial"], per_status["unsupported"],
      uncovered);

  if (!json_path.empty()) {
    FILE* f = fopen(json_path.c_str(), "w");
    if (f == nullptr) {
      fprintf(stderr, "conformance_runner: %s: %s\n", json_path.c_str(), strerror(errno));
      return 2;
    }
    fprintf(f, "{\n  \"cases\": [\n");
    for (size_t i = 0; i < results.size(); ++i) {
      const CaseResult& c = results[i];
      fprintf(f, "    {\"program\": \"%s\", \"case\": \"%s\", \"native\": \"%s\", \"moat\": \"%s\"",
              c.program.c_str(), c.name.c_str(), outcome_name(c.native), outcome_name(c.moat));
      if (!c.known_reason.empty()) {
        fprintf(f, ", \"known_failure\": \"%s\"", json_escape(c.known_reason).c_str());
      }
      fprintf(f, ", \"syscalls\": [");
      for (size_t j = 0; j < c.syscalls.size(); ++j) {
        fprintf(f, "%s\"%s\"", j == 0 ? "" : ", ", c.syscalls[j].c_str());
      }
      fprintf(f, "]}%s\n", i + 1 < results.size() ? "," : "");
    }
    fprintf(f, "  ],\n  \"syscalls\": [\n");
    for (size_t i = 0; i < table().size(); ++i) {
      const TableRow& row = table()[i];
      fprintf(f, "    {\"name\": \"%s\", \"number\": %d, \"status\": \"%s\", \"covered_by\": [",
              row.name, row.number, row.status);
      const auto& cases = covering[row.name];
      for (size_t j = 0; j < cases.size(); ++j) {
        fprintf(f, "%s{\"case\": \"%s\", \"moat\": \"%s\"}", j == 0 ? "" : ", ",
                cases[j]->name.c_str(), outcome_name(cases[j]->moat));
      }
      fprintf(f, "]}%s\n", i + 1 < table().size() ? "," : "");
    }
    fprintf(f, "  ],\n  \"passed\": %s\n}\n", failed ? "false" : "true");
    fclose(f);
  }
  // What went wrong, last, where a log's tail shows it.
  for (const CaseResult& c : results) {
    if (c.native != Outcome::kPass) {
      printf("\n== %s natively (%s):\n%s", c.name.c_str(), outcome_name(c.native),
             c.native_output.c_str());
    } else if (c.moat != Outcome::kPass && c.known_reason.empty()) {
      printf("\n== %s under moat (%s):\n%s", c.name.c_str(), outcome_name(c.moat),
             c.moat_output.c_str());
    }
  }
  printf("\nconformance: %s\n", failed ? "FAILED" : "passed");
  return failed ? 1 : 0;
}
