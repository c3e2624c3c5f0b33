// Exits with the status given as argv[1] (42 when there is none).
#include <stdlib.h>

int main(int argc, char** argv) {
  exit(argc > 1 ? atoi(argv[1]) : 42);
}
