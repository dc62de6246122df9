# initrd/initrd.mk — the stage-1 init, a static program for each target
# architecture (included by the top Makefile).
#
#   $(BUILD)/initrd/init-x86_64    gcc -static, the host's static -dev libraries
#   $(BUILD)/initrd/init-aarch64   aarch64-linux-gnu-gcc -static against
#                                  $(BUILD)/sysroot-aarch64 (tools/make-sysroot)
#
# Both link lib/ compiled for their architecture ($(BUILD)/<arch>/lib/libkiln.a
# from INIT_LIB_SRC) and libext2fs, libblkid,
# libuuid and libcom_err statically, so the installer's init can use the
# same disk writer as `kiln image`. sha256 is lib/sha256-builtin.c there
# (-DKILN_SHA256_BUILTIN): a static libcrypto made the init ~5 MB.

INIT_SRC     := $(sort $(filter-out %_test.c,$(wildcard initrd/init*.c)))
# The lib/ files the init needs (install mode adds the disk writer's here).
# Only these are built for the targets, so a lib/ file being written for
# the host alone cannot break the init.
INIT_LIB_SRC ?= lib/strbuf.c lib/fsutil.c \
                lib/install.c lib/target.c lib/signature.c lib/events.c lib/recover.c \
                lib/disk.c lib/gpt.c lib/guid.c lib/biosboot.c $(filter-out %_test.c,$(wildcard lib/ext4*.c lib/fat*.c)) \
                lib/store.c lib/storepath.c lib/nar.c lib/hash.c lib/sha256-builtin.c lib/refscan.c
INIT_LDLIBS  := -lext2fs -lcom_err -lblkid -luuid -lpthread
# Each function and object in its own section, so the linker drops what
# the init never calls; -s: the initrd carries no debug info.
INIT_CFLAGS   = $(CFLAGS) -ffunction-sections -fdata-sections -DKILN_SHA256_BUILTIN
INIT_LDFLAGS := -static -s -Wl,--gc-sections

# ---- x86_64 ----
INIT_X86_64     := $(BUILD)/initrd/init-x86_64
INIT_X86_64_OBJ := $(INIT_SRC:%.c=$(BUILD)/x86_64/%.o)
INIT_X86_64_LIB := $(BUILD)/x86_64/lib/libkiln.a

$(BUILD)/x86_64/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  CC [x86_64] $<";)$(CC) $(INIT_CFLAGS) $(KILN_CPPFLAGS) $(HOST_CFLAGS) -c -o $@ $<

$(INIT_X86_64_LIB): $(INIT_LIB_SRC:%.c=$(BUILD)/x86_64/%.o)
	@rm -f $@
	$(if $(filter 1,$(V)),,@echo "  AR $@";)ar rcs $@ $^

$(INIT_X86_64): $(INIT_X86_64_OBJ) $(INIT_X86_64_LIB)
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  LD $@";)$(CC) $(INIT_LDFLAGS) -o $@ $^ $(INIT_LDLIBS)

# ---- aarch64 ----
AARCH64_CC      ?= aarch64-linux-gnu-gcc
AARCH64_AR      ?= aarch64-linux-gnu-ar
SYSROOT_AARCH64 := $(BUILD)/sysroot-aarch64
SYSROOT_CACHE   ?= $(if $(KILN_CACHE_DIR),$(KILN_CACHE_DIR),$(BUILD)/test-cache)/sysroot-debs
SYSROOT_STAMP   := $(SYSROOT_AARCH64)/.kiln-sysroot
AARCH64_INC     := usr/include usr/include/aarch64-linux-gnu usr/include/ext2fs usr/include/et \
                   usr/include/blkid usr/include/uuid
AARCH64_CFLAGS   = $(addprefix -I$(SYSROOT_AARCH64)/,$(AARCH64_INC))
AARCH64_LDFLAGS  = -L$(SYSROOT_AARCH64)/usr/lib/aarch64-linux-gnu

INIT_AARCH64     := $(BUILD)/initrd/init-aarch64
INIT_AARCH64_OBJ := $(INIT_SRC:%.c=$(BUILD)/aarch64/%.o)
INIT_AARCH64_LIB := $(BUILD)/aarch64/lib/libkiln.a

$(SYSROOT_STAMP): tools/make-sysroot | $(DEPS_STAMP)
	tools/make-sysroot $(SYSROOT_AARCH64) $(SYSROOT_CACHE)
	@touch $@

$(BUILD)/aarch64/%.o: %.c | $(SYSROOT_STAMP)
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  CC [aarch64] $<";)$(AARCH64_CC) $(INIT_CFLAGS) $(KILN_CPPFLAGS) $(AARCH64_CFLAGS) -c -o $@ $<

$(INIT_AARCH64_LIB): $(INIT_LIB_SRC:%.c=$(BUILD)/aarch64/%.o)
	@rm -f $@
	$(if $(filter 1,$(V)),,@echo "  AR $@";)$(AARCH64_AR) rcs $@ $^

$(INIT_AARCH64): $(INIT_AARCH64_OBJ) $(INIT_AARCH64_LIB)
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  LD $@";)$(AARCH64_CC) $(INIT_LDFLAGS) $(AARCH64_LDFLAGS) -o $@ $^ $(INIT_LDLIBS)

# ---- host unit test of the init's pure parts (command line, generation links) ----
$(BUILD)/initrd/init_test: $(BUILD)/initrd/init_test.o $(BUILD)/initrd/init-cmdline.o \
                           $(BUILD)/initrd/init-generation.o $(BUILD)/lib/libkiln.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

# ... and the same test cross-built, run under qemu-aarch64 by
# initrd/tests/init-test-aarch64.sh
INIT_TEST_AARCH64 := $(BUILD)/aarch64/initrd/init_test
$(INIT_TEST_AARCH64): $(BUILD)/aarch64/initrd/init_test.o $(BUILD)/aarch64/initrd/init-cmdline.o \
                      $(BUILD)/aarch64/initrd/init-generation.o $(INIT_AARCH64_LIB)
	$(if $(filter 1,$(V)),,@echo "  LD $@";)$(AARCH64_CC) -static -o $@ $^

inits: $(INIT_X86_64) $(INIT_AARCH64)
.PHONY: inits

EXTRA_TEST_DEPS  += $(INIT_X86_64) $(INIT_AARCH64) $(INIT_TEST_AARCH64)
EXTRA_IMAGE_DEPS += $(INIT_X86_64) $(INIT_AARCH64)
