#include "shim/memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace skiff::shim {

long ReleaseStartupText() {
  struct stat exe;
  if (stat("/proc/self/exe", &exe) != 0) return 0;
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  // /proc/self/maps of a static shim is a dozen lines.
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  // Find the ranges first: no parsing code may run between the madvise and
  // the return, or it would be mapped right back.
  unsigned long ranges[8][2];
  int nranges = 0;
  for (char* line = buf; line && *line && nranges < 8;) {
    char* next = strchr(line, '\n');
    if (next) *next++ = 0;
    // start-end perms offset dev inode path
    unsigned long lo, hi, off, ino;
    char perms[8];
    unsigned dmaj, dmin;
    if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perms, &off, &dmaj, &dmin, &ino) == 7 &&
        strcmp(perms, "r-xp") == 0 && ino == exe.st_ino && makedev(dmaj, dmin) == exe.st_dev) {
      ranges[nranges][0] = lo;
      ranges[nranges][1] = hi;
      nranges++;
    }
    line = next;
  }
  long released = 0;
  for (int i = 0; i < nranges; i++) {
    if (madvise(reinterpret_cast<void*>(ranges[i][0]), ranges[i][1] - ranges[i][0],
                MADV_DONTNEED) == 0)
      released += static_cast<long>(ranges[i][1] - ranges[i][0]);
  }
  return released;
}

}  // namespace skiff::shim
