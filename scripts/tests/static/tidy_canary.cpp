// SPDX-License-Identifier: GPL-2.0
// Crafted input of scripts/check-static.sh: two defects that the checked-in
// .clang-tidy must report, one per family the stage relies on (bugprone-*
// and the clang-analyzer's path-sensitive checks). If either goes
// unreported, the configuration or the invocation checks less than it
// says, and the stage fails. Never built.
int canary_branches(int x) {
  if (x > 0)
    return x + 1;
  else
    return x + 1;
}

int canary_null(bool take) {
  int value = 1;
  int* p = nullptr;
  if (take) p = &value;
  return *p;
}
