// Allocates and touches 64 MiB in 1 MiB chunks plus many small blocks, checks
// the contents and frees everything; prints "ok". Exercises brk, mmap, munmap.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kChunks = 64, kChunkSize = 1 << 20, kSmall = 10000 };

int main(void) {
  static unsigned char* chunks[kChunks];
  static unsigned char* small[kSmall];
  for (int i = 0; i < kChunks; i++) {
    chunks[i] = malloc(kChunkSize);
    if (chunks[i] == NULL) {
      printf("malloc of chunk %d failed\n", i);
      return 1;
    }
    memset(chunks[i], i + 1, kChunkSize);
  }
  for (int i = 0; i < kSmall; i++) {
    size_t size = 16 + (size_t)(i % 241);
    small[i] = malloc(size);
    if (small[i] == NULL) {
      printf("malloc of small block %d failed\n", i);
      return 1;
    }
    memset(small[i], i & 0xff, size);
  }
  for (int i = 0; i < kChunks; i++) {
    for (size_t j = 0; j < kChunkSize; j++) {
      if (chunks[i][j] != (unsigned char)(i + 1)) {
        printf("chunk %d corrupt at byte %zu\n", i, j);
        return 1;
      }
    }
  }
  for (int i = 0; i < kSmall; i++) {
    if (small[i][0] != (unsigned char)(i & 0xff)) {
      printf("small block %d corrupt\n", i);
      return 1;
    }
  }
  for (int i = 0; i < kSmall; i += 2) {
    free(small[i]);
  }
  for (int i = 0; i < kChunks; i++) {
    free(chunks[i]);
  }
  for (int i = 1; i < kSmall; i += 2) {
    free(small[i]);
  }
  // Allocate again after freeing so that unmapped or trimmed memory is reused.
  unsigned char* again = malloc(8 * kChunkSize);
  if (again == NULL) {
    printf("malloc after free failed\n");
    return 1;
  }
  memset(again, 0x5a, 8 * kChunkSize);
  free(again);
  printf("ok\n");
  return 0;
}
