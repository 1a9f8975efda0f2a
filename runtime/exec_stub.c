/* The last program ocirun executes before the container's own: it only
 * calls execve(argv[1], &argv[2], envp). Running it from a sealed memfd
 * makes /proc/self/exe, at the moment the container's program is exec'd,
 * an immutable anonymous copy of this stub instead of the ocirun binary, so
 * a program naming /proc/self/exe as its interpreter (CVE-2019-5736) gets
 * nothing it can write. Built with -nostdlib: no libc, a few hundred bytes.
 */
__attribute__((naked, noreturn)) void _start(void) {
  __asm__ volatile(
      "mov (%rsp), %rcx\n"           /* argc */
      "mov 16(%rsp), %rdi\n"         /* argv[1]: the program */
      "lea 24(%rsp), %rsi\n"         /* &argv[2]: its argv */
      "lea 16(%rsp,%rcx,8), %rdx\n"  /* envp = &argv[argc + 1] */
      "mov $59, %eax\n"              /* execve */
      "syscall\n"
      "mov $2, %edi\n"               /* write(2, msg, len) */
      "lea msg(%rip), %rsi\n"
      "mov $len, %edx\n"
      "mov $1, %eax\n"
      "syscall\n"
      "mov $127, %edi\n"             /* exit(127) */
      "mov $60, %eax\n"
      "syscall\n"
      "msg: .ascii \"ocirun: exec of the container process failed\\n\"\n"
      ".set len, . - msg\n");
}
