// Signal names as docker accepts them.
#include <signal.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "manager/lifecycle/container_manager.h"

namespace skiff::manager {
namespace {

struct SignalName {
  const char* name;
  int number;
};

constexpr SignalName kSignals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"FPE", SIGFPE},   {"HUP", SIGHUP},       {"ILL", SIGILL},
    {"INT", SIGINT},   {"IO", SIGIO},     {"IOT", SIGIOT},       {"KILL", SIGKILL},
    {"PIPE", SIGPIPE}, {"POLL", SIGPOLL}, {"PROF", SIGPROF},     {"PWR", SIGPWR},
    {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV}, {"STKFLT", SIGSTKFLT}, {"STOP", SIGSTOP},
    {"SYS", SIGSYS},   {"TERM", SIGTERM}, {"TRAP", SIGTRAP},     {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},       {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH}, {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},
};

}  // namespace

absl::StatusOr<int> ParseSignal(const std::string& text) {
  int n = 0;
  if (absl::SimpleAtoi(text, &n)) {
    if (n > 0 && n <= SIGRTMAX) return n;
    return absl::InvalidArgumentError(absl::StrCat("invalid signal: ", text));
  }
  std::string s = absl::AsciiStrToUpper(text);
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (const auto& sig : kSignals) {
    if (s == sig.name) return sig.number;
  }
  if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) {
    int off = 0;
    std::string rest = s.substr(5);
    if (rest.empty() || (rest[0] == '+' && absl::SimpleAtoi(rest.substr(1), &off)) ||
        (rest[0] == '-' && absl::SimpleAtoi(rest.substr(1), &off))) {
      int base = s[2] == 'M' && s[3] == 'I' ? SIGRTMIN : SIGRTMAX;
      int v = !rest.empty() && rest[0] == '-' ? base - off : base + off;
      if (v >= SIGRTMIN && v <= SIGRTMAX) return v;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid signal: ", text));
}

}  // namespace skiff::manager
