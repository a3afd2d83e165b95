// ATA/ATAPI register, bit and command numbers (ATA/ATAPI-6, T13/1410D: its register and command
// chapters; ATAPI packet commands from SPC-3 and MMC-3), shared by the channel,
// its devices and their tests.

// Command block register offsets from the command base (1F0h/170h on a PC).
export const ATA_REG_DATA = 0;
export const ATA_REG_ERROR = 1; // read
export const ATA_REG_FEATURE = 1; // write
export const ATA_REG_COUNT = 2; // ATAPI: interrupt reason when read
export const ATA_REG_LBA_LOW = 3; // sector number in CHS mode
export const ATA_REG_LBA_MID = 4; // cylinder low; ATAPI byte count low
export const ATA_REG_LBA_HIGH = 5; // cylinder high; ATAPI byte count high
export const ATA_REG_DEVICE = 6; // device/head
export const ATA_REG_STATUS = 7; // read
export const ATA_REG_COMMAND = 7; // write
// Control block register (offset 0 from the control base, 3F6h/376h on a PC).
export const ATA_REG_ALT_STATUS = 0; // read
export const ATA_REG_DEVICE_CONTROL = 0; // write

// Status register.
export const ATA_SR_BSY = 0x80;
export const ATA_SR_DRDY = 0x40;
export const ATA_SR_DF = 0x20;
/** Obsolete "seek complete" (DSC): set by ATA devices when ready, as old drivers expect. */
export const ATA_SR_DSC = 0x10;
export const ATA_SR_DRQ = 0x08;
export const ATA_SR_CORR = 0x04;
export const ATA_SR_IDX = 0x02;
export const ATA_SR_ERR = 0x01;

// Error register.
export const ATA_ER_ICRC = 0x80;
export const ATA_ER_UNC = 0x40;
export const ATA_ER_MC = 0x20;
export const ATA_ER_IDNF = 0x10;
export const ATA_ER_MCR = 0x08;
export const ATA_ER_ABRT = 0x04;
export const ATA_ER_NM = 0x02;
/** ATAPI: the sense key is in bits 7-4 of the error register. */
export const ATAPI_ER_SENSE_SHIFT = 4;
/** Diagnostic codes (EXECUTE DEVICE DIAGNOSTIC and reset): device passed; device 1 failed. */
export const ATA_DIAG_PASSED = 0x01;
export const ATA_DIAG_DEVICE1_FAILED = 0x80;

// Device register.
export const ATA_DEV_LBA = 0x40;
export const ATA_DEV_DEV = 0x10;
export const ATA_DEV_HEAD = 0x0f;
/** Bits 7 and 5: obsolete, set by old software (0xA0 / 0xB0). */
export const ATA_DEV_OBSOLETE = 0xa0;

// Device control register.
export const ATA_DC_HOB = 0x80;
export const ATA_DC_SRST = 0x04;
export const ATA_DC_NIEN = 0x02;

// ATAPI interrupt reason (the count register while a packet command runs).
export const ATAPI_IR_COD = 0x01;
export const ATAPI_IR_IO = 0x02;
export const ATAPI_IR_REL = 0x04;

// Signatures left in LBA mid/high after reset and diagnostics.
export const ATA_SIGNATURE_MID = 0x00;
export const ATA_SIGNATURE_HIGH = 0x00;
export const ATAPI_SIGNATURE_MID = 0x14;
export const ATAPI_SIGNATURE_HIGH = 0xeb;

// ATA commands.
export const ATA_CMD_NOP = 0x00;
export const ATA_CMD_DEVICE_RESET = 0x08;
/** RECALIBRATE: 10h-1Fh (obsolete). */
export const ATA_CMD_RECALIBRATE = 0x10;
export const ATA_CMD_READ_SECTORS = 0x20;
export const ATA_CMD_READ_SECTORS_NORETRY = 0x21;
export const ATA_CMD_READ_SECTORS_EXT = 0x24;
export const ATA_CMD_READ_DMA_EXT = 0x25;
export const ATA_CMD_READ_NATIVE_MAX_EXT = 0x27;
export const ATA_CMD_READ_MULTIPLE_EXT = 0x29;
export const ATA_CMD_WRITE_SECTORS = 0x30;
export const ATA_CMD_WRITE_SECTORS_NORETRY = 0x31;
export const ATA_CMD_WRITE_SECTORS_EXT = 0x34;
export const ATA_CMD_WRITE_DMA_EXT = 0x35;
export const ATA_CMD_WRITE_MULTIPLE_EXT = 0x39;
export const ATA_CMD_READ_VERIFY = 0x40;
export const ATA_CMD_READ_VERIFY_NORETRY = 0x41;
export const ATA_CMD_READ_VERIFY_EXT = 0x42;
/** SEEK: 70h-7Fh. */
export const ATA_CMD_SEEK = 0x70;
export const ATA_CMD_EXECUTE_DIAGNOSTIC = 0x90;
export const ATA_CMD_INITIALIZE_PARAMETERS = 0x91;
export const ATA_CMD_STANDBY_IMMEDIATE_OLD = 0x94;
export const ATA_CMD_IDLE_IMMEDIATE_OLD = 0x95;
export const ATA_CMD_STANDBY_OLD = 0x96;
export const ATA_CMD_IDLE_OLD = 0x97;
export const ATA_CMD_CHECK_POWER_MODE_OLD = 0x98;
export const ATA_CMD_SLEEP_OLD = 0x99;
export const ATA_CMD_PACKET = 0xa0;
export const ATA_CMD_IDENTIFY_PACKET = 0xa1;
export const ATA_CMD_READ_MULTIPLE = 0xc4;
export const ATA_CMD_WRITE_MULTIPLE = 0xc5;
export const ATA_CMD_SET_MULTIPLE = 0xc6;
export const ATA_CMD_READ_DMA = 0xc8;
export const ATA_CMD_READ_DMA_NORETRY = 0xc9;
export const ATA_CMD_WRITE_DMA = 0xca;
export const ATA_CMD_WRITE_DMA_NORETRY = 0xcb;
export const ATA_CMD_STANDBY_IMMEDIATE = 0xe0;
export const ATA_CMD_IDLE_IMMEDIATE = 0xe1;
export const ATA_CMD_STANDBY = 0xe2;
export const ATA_CMD_IDLE = 0xe3;
export const ATA_CMD_CHECK_POWER_MODE = 0xe5;
export const ATA_CMD_SLEEP = 0xe6;
export const ATA_CMD_FLUSH_CACHE = 0xe7;
export const ATA_CMD_FLUSH_CACHE_EXT = 0xea;
export const ATA_CMD_IDENTIFY = 0xec;
export const ATA_CMD_SET_FEATURES = 0xef;
export const ATA_CMD_READ_NATIVE_MAX = 0xf8;

// SET FEATURES subcommands (feature register).
export const SETF_WRITE_CACHE_ON = 0x02;
export const SETF_TRANSFER_MODE = 0x03;
export const SETF_REVERT_OFF = 0x66;
export const SETF_WRITE_CACHE_OFF = 0x82;
export const SETF_LOOKAHEAD_OFF = 0x55;
export const SETF_LOOKAHEAD_ON = 0xaa;
export const SETF_REVERT_ON = 0xcc;
// Transfer mode values (count register of SET FEATURES 03h).
export const XFER_PIO_DEFAULT = 0x00;
export const XFER_PIO_DEFAULT_NO_IORDY = 0x01;
export const XFER_PIO_FLOW = 0x08; // | mode
export const XFER_MWDMA = 0x20; // | mode
export const XFER_UDMA = 0x40; // | mode

/** CHECK POWER MODE results (count register). */
export const POWER_STANDBY = 0x00;
export const POWER_IDLE = 0x80;
export const POWER_ACTIVE = 0xff;

// SCSI/MMC packet command opcodes.
export const SCSI_TEST_UNIT_READY = 0x00;
export const SCSI_REQUEST_SENSE = 0x03;
export const SCSI_INQUIRY = 0x12;
export const SCSI_MODE_SELECT_6 = 0x15;
export const SCSI_MODE_SENSE_6 = 0x1a;
export const SCSI_START_STOP_UNIT = 0x1b;
export const SCSI_PREVENT_ALLOW = 0x1e;
export const SCSI_READ_CAPACITY = 0x25;
export const SCSI_READ_10 = 0x28;
export const SCSI_SEEK_10 = 0x2b;
export const SCSI_VERIFY_10 = 0x2f;
export const SCSI_SYNCHRONIZE_CACHE = 0x35;
export const SCSI_READ_SUBCHANNEL = 0x42;
export const SCSI_READ_TOC = 0x43;
export const SCSI_GET_CONFIGURATION = 0x46;
export const SCSI_GET_EVENT_STATUS = 0x4a;
export const SCSI_READ_DISC_INFO = 0x51;
export const SCSI_MODE_SELECT_10 = 0x55;
export const SCSI_MODE_SENSE_10 = 0x5a;
export const SCSI_READ_12 = 0xa8;
export const SCSI_SET_CD_SPEED = 0xbb;
export const SCSI_MECHANISM_STATUS = 0xbd;
export const SCSI_READ_CD = 0xbe;

// Sense keys and additional sense codes (SPC-3 sense key and ASC/ASCQ tables).
export const SENSE_NONE = 0x00;
export const SENSE_NOT_READY = 0x02;
export const SENSE_MEDIUM_ERROR = 0x03;
export const SENSE_ILLEGAL_REQUEST = 0x05;
export const SENSE_UNIT_ATTENTION = 0x06;
export const ASC_INVALID_COMMAND = 0x20;
export const ASC_LBA_OUT_OF_RANGE = 0x21;
export const ASC_INVALID_FIELD_IN_CDB = 0x24;
export const ASC_MEDIUM_CHANGED = 0x28;
export const ASC_SAVING_NOT_SUPPORTED = 0x39;
export const ASC_MEDIUM_NOT_PRESENT = 0x3a;
export const ASC_MEDIUM_REMOVAL_PREVENTED = 0x53;
