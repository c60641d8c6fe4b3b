#include "kq_writeback.h"
// The header's inline function is all there is; SwiftPM wants a source file in a C target.
