/* Split DWARF (-gsplit-dwarf; docs/DWARF_OUTPUT.md): the module keeps a skeleton unit and the line table,
 * the unit's DIEs go to a .dwo file that is not committed.  Built without libc, as a library exporting
 * `sum`, in DWARF 4 (GNU's headerless .debug_addr) and DWARF 5 (a skeleton unit). */
int sum(int n) {
    int total = 0;
    for (int i = 0; i < n; i++)
        total += i;
    return total;
}
