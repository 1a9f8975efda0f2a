#include "runtime/cli/signals.h"

#include <signal.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace skiff::runtime::cli {

absl::StatusOr<int> ParseSignal(const std::string& in) {
  int n;
  if (absl::SimpleAtoi(in, &n)) {
    if (n <= 0 || n > SIGRTMAX)
      return absl::InvalidArgumentError(absl::StrCat("invalid signal number ", in));
    return n;
  }
  std::string s = absl::AsciiStrToUpper(in);
  if (absl::StartsWith(s, "SIG")) s = s.substr(3);
  static const struct { const char* name; int sig; } kSignals[] = {
      {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
      {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
      {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
      {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
      {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP},
      {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
      {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
      {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"POLL", SIGPOLL},   {"PWR", SIGPWR},
      {"SYS", SIGSYS}};
  for (const auto& e : kSignals)
    if (s == e.name) return e.sig;
  for (const char* base : {"RTMIN", "RTMAX"}) {
    if (!absl::StartsWith(s, base)) continue;
    int b = s[3] == 'I' ? SIGRTMIN : SIGRTMAX;
    std::string rest = s.substr(5);
    if (rest.empty()) return b;
    int off;
    if (absl::SimpleAtoi(rest, &off)) {
      int v = b + off;
      if (v >= SIGRTMIN && v <= SIGRTMAX) return v;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown signal \"", in, "\""));
}

}  // namespace skiff::runtime::cli
