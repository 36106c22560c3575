/* libFuzzer target: SIGSTRUCT parse/verify/serialize, SGXS measurement and
 * layout parsing must never crash or read out of bounds on any input. The
 * first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "avow/enclave.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t which = data[0];
    data++;
    size--;
    avow_error e;
    switch (which % 3) {
        case 0: {
            avow_sigstruct ss;
            if (avow_sigstruct_parse(data, size, &ss, &e) == AVOW_OK) {
                uint8_t out[AVOW_SIGSTRUCT_SIZE], mr[32];
                avow_sigstruct_serialize(&ss, out);
                if (memcmp(out, data, AVOW_SIGSTRUCT_SIZE) != 0) __builtin_trap();
                avow_sigstruct_mrsigner(&ss, mr);
                (void)avow_sigstruct_verify(&ss, &e);
            }
            break;
        }
        case 1: {
            uint8_t mr[32];
            (void)avow_measure_sgxs(data, size, mr, &e);
            break;
        }
        default: {
            avow_layout l;
            if (avow_layout_parse((const char *)data, size, &l, &e) == AVOW_OK && size <= 16384) {
                uint8_t mr[32];
                (void)avow_measure_image(data, size, &l, mr, &e);
            }
            break;
        }
    }
    return 0;
}
