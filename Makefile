# kiln — one non-recursive Makefile.
#
#   make            build the kiln CLI into $(BUILD)/kiln
#   make deps       install every Debian package building and testing need (root)
#   make check      run every test; ends with "N passed, N failed, N skipped"
#   make image      build the default image (images/minimal.cfg)
#   make bench      speed ratios against baselines measured in the same run
#
# BUILD=dir puts every output elsewhere (so two builds can run side by side).
# DEVELOPER=1 turns on the strict warnings and -Werror.

BUILD    ?= build
CC       ?= gcc
CFLAGS   ?= -O2 -g
PKG_CONFIG ?= pkg-config
V        ?= 0

ifeq ($(DEVELOPER),1)
CFLAGS += -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wpointer-arith -Wformat=2 -Wno-unused-parameter -Wno-sign-compare \
          -Wvla -Wimplicit-fallthrough
endif

KILN_CPPFLAGS := -Ilib -Ibuilder -Iinitrd -Ibootloader -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -MMD -MP
# kiln's programs export no symbols: libconfig 1.5 exports its internal
# strbuf_release() and calls it through the PLT, so kiln's own (lib/strbuf.c)
# would otherwise interpose it and corrupt every string libconfig parses.
KILN_CPPFLAGS += -fvisibility=hidden
HOST_PKGS := libconfig libarchive ext2fs blkid uuid nettle com_err
HOST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(HOST_PKGS) 2>/dev/null)
# Everything but libc and libconfig is linked statically: each shared
# library costs every kiln command its loading and relocation (libarchive
# alone dragged in libxml2, ICU and libstdc++ for formats kiln never reads),
# and a switch or a no-op build is a few tens of milliseconds of work.
# libconfig stays shared: its static archive defines strbuf_release too.
HOST_LIBS   = -Wl,--as-needed -lconfig -Wl,-Bstatic -larchive -lext2fs -lcom_err -lblkid -luuid \
              -lnettle -llzma -lzstd -llz4 -lbz2 -lz -Wl,-Bdynamic

LIB_SRC      := $(sort $(filter-out %_test.c,$(wildcard lib/*.c)))
# builder/ links the host-side code of initrd/ (cpio, module selection) and
# bootloader/ (GRUB images, grub.cfg); initrd/init*.c are the target programs,
# built by initrd/initrd.mk for each architecture.
BUILDER_SRC  := $(sort $(filter-out %_test.c builder/kiln.c initrd/init%.c,\
                  $(wildcard builder/*.c initrd/*.c bootloader/*.c)))
TEST_SRC     := $(sort $(wildcard lib/*_test.c builder/*_test.c initrd/*_test.c bootloader/*_test.c))

LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/%.o)
BUILDER_OBJ  := $(BUILDER_SRC:%.c=$(BUILD)/%.o)
TEST_BIN     := $(TEST_SRC:%.c=$(BUILD)/%)

DEPS_STAMP := $(BUILD)/.deps-ok

all: $(BUILD)/kiln

# Installing packages is idempotent and quick when nothing is missing; every
# build goes through it so a fresh Debian 12 machine needs no manual step.
$(DEPS_STAMP): tools/deps.sh
	@mkdir -p $(BUILD)
	@tools/deps.sh --ensure
	@touch $@

deps:
	tools/deps.sh --install

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  CC $<";)$(CC) $(CFLAGS) $(KILN_CPPFLAGS) $(HOST_CFLAGS) -c -o $@ $<

$(BUILD)/lib/libkiln.a: $(LIB_OBJ)
	@rm -f $@
	$(if $(filter 1,$(V)),,@echo "  AR $@";)ar rcs $@ $^

$(BUILD)/builder/libbuilder.a: $(BUILDER_OBJ)
	@rm -f $@
	$(if $(filter 1,$(V)),,@echo "  AR $@";)ar rcs $@ $^

$(BUILD)/kiln: $(BUILD)/builder/kiln.o $(BUILD)/builder/libbuilder.a $(BUILD)/lib/libkiln.a
	$(if $(filter 1,$(V)),,@echo "  LD $@";)$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/lib/%_test: $(BUILD)/lib/%_test.o $(BUILD)/lib/libkiln.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/builder/%_test: $(BUILD)/builder/%_test.o $(BUILD)/builder/libbuilder.a $(BUILD)/lib/libkiln.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/initrd/%_test: $(BUILD)/initrd/%_test.o $(BUILD)/builder/libbuilder.a $(BUILD)/lib/libkiln.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/bootloader/%_test: $(BUILD)/bootloader/%_test.o $(BUILD)/builder/libbuilder.a $(BUILD)/lib/libkiln.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

-include $(wildcard bootloader/*.mk initrd/*.mk qemu-tests/*.mk)

# The CLI builds initrds: the stage-1 init of each architecture is part of "all".
EXTRA_IMAGE_DEPS += $(INIT_X86_64) $(INIT_AARCH64)
all: $(EXTRA_IMAGE_DEPS)

tests: $(BUILD)/kiln $(TEST_BIN) $(EXTRA_TEST_DEPS)

check: tests
	tools/run-tests $(BUILD)

image: $(BUILD)/kiln $(EXTRA_IMAGE_DEPS)
	tools/make-image $(BUILD)

bench: $(BUILD)/kiln $(EXTRA_TEST_DEPS)
	tools/run-bench $(BUILD)

clean:
	rm -rf $(BUILD)

.PHONY: all deps check tests image bench clean
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name '*.d' -type f -not -path '*/test-cache/*' 2>/dev/null)
