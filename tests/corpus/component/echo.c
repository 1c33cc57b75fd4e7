/* A component test program for the run options the others do not use: it prints an environment
 * variable and copies standard input to standard output, numbering the lines, then says how many. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, stdin))
        printf("%d: %s", ++n, line);
    printf("%d line(s)\n", n);
    return n == 0 ? 3 : 0;
}
