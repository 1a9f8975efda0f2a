#include "shim/rfc3339.h"

namespace skiff::shim {

struct timespec RealtimeNow() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

static char* PutDigits(char* p, long v, int width) {
  for (int i = width - 1; i >= 0; i--) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

// Civil date from days since 1970-01-01 (H. Hinnant's algorithm). Not
// gmtime_r: glibc's reads the time zone database on first use, which an
// idle shim would keep mapped for nothing.
static void CivilFromDays(long z, long* y, unsigned* m, unsigned* d) {
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<long>(yoe) + era * 400 + (*m <= 2);
}

void AppendRfc3339Nano(std::string* out, const struct timespec& ts) {
  long secs = ts.tv_sec;
  long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  long sod = secs - days * 86400;
  long year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[30];
  char* p = PutDigits(buf, year, 4);
  *p++ = '-';
  p = PutDigits(p, month, 2);
  *p++ = '-';
  p = PutDigits(p, day, 2);
  *p++ = 'T';
  p = PutDigits(p, sod / 3600, 2);
  *p++ = ':';
  p = PutDigits(p, sod / 60 % 60, 2);
  *p++ = ':';
  p = PutDigits(p, sod % 60, 2);
  *p++ = '.';
  p = PutDigits(p, ts.tv_nsec, 9);
  *p++ = 'Z';
  out->append(buf, p - buf);
}

std::string Rfc3339Nano(const struct timespec& ts) {
  std::string s;
  AppendRfc3339Nano(&s, ts);
  return s;
}

}  // namespace skiff::shim
