/* A file-heavy benchmark program (benchmarks/syscalls_overhead.py): ROUNDS times (argv[1], default
 * 2000) it creates a file in the first preopened directory through stdio, writes 4 KiB to it in 512-byte
 * writes, reads it back, closes and removes it, and at the end prints a checksum of what it read.
 * Every stdio call here is a WASI call (setvbuf(_IONBF)), so the program spends its time in WASI calls,
 * which is what the `syscalls` tool instruments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    char block[512];
    unsigned long sum = 0;
    for (int i = 0; i < (int)sizeof block; i++) block[i] = (char)(i * 7);
    for (int r = 0; r < rounds; r++) {
        char name[32];
        snprintf(name, sizeof name, "/data/f%d.bin", r % 8);
        FILE *f = fopen(name, "w+");
        if (!f) { perror(name); return 1; }
        setvbuf(f, NULL, _IONBF, 0);
        for (int k = 0; k < 8; k++) fwrite(block, 1, sizeof block, f);
        rewind(f);
        char back[512];
        size_t n;
        while ((n = fread(back, 1, sizeof back, f)) > 0)
            for (size_t k = 0; k < n; k++) sum += (unsigned char)back[k];
        fclose(f);
        unlink(name);
    }
    printf("checksum %lu\n", sum);
    return 0;
}
