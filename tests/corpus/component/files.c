/* A component test program that reads files from a preopened directory: every path on the command
   line (e.g. data/a.txt under --dir data) is opened, read and summarised (bytes, lines, a checksum). */
#include <stdio.h>

static unsigned checksum(const unsigned char *p, size_t n, unsigned sum) {
    for (size_t i = 0; i < n; i++)
        sum = sum * 31u + p[i];
    return sum;
}

int main(int argc, char **argv) {
    int failures = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            printf("%s: cannot open\n", argv[i]);
            failures++;
            continue;
        }
        unsigned char buf[64];
        size_t n, bytes = 0, lines = 0;
        unsigned sum = 0;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            for (size_t j = 0; j < n; j++)
                lines += buf[j] == '\n';
            sum = checksum(buf, n, sum);
            bytes += n;
        }
        fclose(f);
        printf("%s: %zu bytes, %zu lines, checksum %08x\n", argv[i], bytes, lines, sum);
    }
    return failures;
}
