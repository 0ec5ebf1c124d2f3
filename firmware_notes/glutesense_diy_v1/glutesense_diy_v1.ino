// glutesense reference firmware: diy-v1 over BLE from an ESP32 with two MyoWare 2.0 sensors and an MPU-6050.
//
// Hardware (see firmware_notes/reference-firmware.md for wiring and electrode placement):
//   ESP32 DevKitC (ESP32-WROOM-32), Arduino core 3.x, library NimBLE-Arduino 1.4.x
//   MyoWare 2.0 #1 on the glute max   RAW -> GPIO 36 (ADC1_CH0)   channel emg0 (role glute_max_l)
//   MyoWare 2.0 #2 on the hamstring   RAW -> GPIO 39 (ADC1_CH3)   channel emg1 (role hamstring_l)
//   MPU-6050 (GY-521) on the thigh    SDA -> GPIO 21, SCL -> GPIO 22, 3V3, GND   (+-8 g, +-2000 deg/s)
//
// Timing: a hardware timer fires every 1000 us; its ISR wakes the sampling task, which reads both
// ADC channels (and, every 10th tick, the IMU) and counts samples.  The device clock t_us is the
// sample counter times the timer period, so it is exactly the clock that paced the ADC.  Sampling
// never stops once started (counters advance while the link is down), as diy-v1 requires.
//
// The wire format is firmware_notes/diy-v1.md; tests/test_firmware_constants.py checks the
// constants below against glutesense/profiles/diy_v1.py.  This sketch is not compiled by the
// test suite: build it with the Arduino IDE or arduino-cli (board esp32:esp32:esp32).

#include <Arduino.h>
#include <NimBLEDevice.h>
#include <Wire.h>

// ------------------------------------------------------------------ diy-v1 wire format
constexpr uint8_t DIY_VERSION = 1;
constexpr uint8_t STREAM_EMG = 0;
constexpr uint8_t STREAM_IMU = 1;
constexpr uint8_t STREAM_MARK = 2;
constexpr uint8_t FLAG_SATURATED = 0x01;
constexpr uint8_t FLAG_CLOCK_RESTART = 0x02;
constexpr uint8_t CMD_START = 0x01;
constexpr uint8_t CMD_STOP = 0x02;
constexpr uint8_t CMD_MARKER = 0x03;
constexpr size_t MARKER_LABEL_MAX = 16;

#define NUS_SERVICE_UUID "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
#define NUS_RX_UUID "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
#define NUS_TX_UUID "6e400003-b5a3-f393-e0a9-e50e24dcca9e"
#define DEVICE_NAME "GluteSense-DIY"
#define FIRMWARE_REVISION "glutesense-ref 1.0 (diy-v1)"

// Header: 14 bytes, little-endian (the ESP32 is little-endian, so the packed struct is the wire).
struct __attribute__((packed)) Header {
  uint8_t version;
  uint8_t stream;
  uint8_t flags;
  uint8_t n_channels;
  uint16_t seq;
  uint32_t t_us;
  uint16_t fs_hz;
  uint16_t n_samples;
};
constexpr size_t HEADER_SIZE = 14;
static_assert(sizeof(Header) == HEADER_SIZE, "diy-v1 header is 14 bytes");

// Scales: core units per count (the host multiplies counts by these).
constexpr float EMG_UV_PER_COUNT = 0.25f;          // +-8.19 mV
constexpr float ACC_G_PER_COUNT = 1.0f / 4096.0f;   // MPU-6050 at +-8 g: 4096 LSB/g (raw counts pass through)
constexpr float GYR_DPS_PER_COUNT = 1.0f / 16.4f;   // MPU-6050 at +-2000 deg/s: 16.4 LSB/(deg/s)

// ------------------------------------------------------------------ acquisition settings
constexpr uint16_t EMG_FS_HZ = 1000;
constexpr uint16_t IMU_FS_HZ = 100;
constexpr uint16_t EMG_PER_PACKET = 25;             // 40 EMG packets/s
constexpr uint16_t IMU_PER_PACKET = 10;             // 10 IMU packets/s
constexpr uint8_t N_EMG = 2;
constexpr uint8_t N_IMU = 6;
constexpr uint32_t TIMER_PERIOD_US = 1000000UL / EMG_FS_HZ;
constexpr uint32_t IMU_DECIMATION = EMG_FS_HZ / IMU_FS_HZ;
constexpr uint16_t MTU = 247;                       // requested ATT MTU (244-byte notifications)
constexpr uint16_t CONN_INTERVAL_MIN = 6;           // x 1.25 ms = 7.5 ms
constexpr uint16_t CONN_INTERVAL_MAX = 12;          // x 1.25 ms = 15 ms
constexpr size_t QUEUE_DEPTH = 24;                  // packets (> 2 connection intervals at 50 packets/s)

constexpr size_t EMG_PACKET_SIZE = HEADER_SIZE + 2 * N_EMG * EMG_PER_PACKET;   // 114 bytes
constexpr size_t IMU_PACKET_SIZE = HEADER_SIZE + 2 * N_IMU * IMU_PER_PACKET;   // 134 bytes
constexpr size_t MAX_PACKET_SIZE = IMU_PACKET_SIZE;
static_assert(MAX_PACKET_SIZE <= MTU - 3, "a packet must fit one notification");

// MyoWare 2.0: RAW output is the amplified EMG (gain 200) around a mid-supply reference.
constexpr uint8_t PIN_EMG[N_EMG] = {36, 39};        // ADC1 only: ADC2 is unusable while the radio runs
constexpr float MYOWARE_RAW_GAIN = 200.0f;
constexpr float REF_TAU_S = 1.0f;                   // running-mean time constant removing the REF offset
constexpr uint8_t MPU_ADDR = 0x68;

// ------------------------------------------------------------------ state
struct Packet {
  uint16_t len;
  uint8_t bytes[MAX_PACKET_SIZE];
};

static hw_timer_t *timer = nullptr;
static TaskHandle_t sampler = nullptr;
static QueueHandle_t outbox = nullptr;
static NimBLECharacteristic *tx = nullptr;
static volatile bool sampling = false;    // true from the first start until power-off
static volatile bool streaming = false;   // start/stop commands and the link switch this
static volatile bool connected = false;
static volatile uint32_t sample_index = 0;  // EMG samples since the first start: the device clock
static uint16_t seq_emg = 0, seq_imu = 0, seq_mark = 0;
static bool first_emg = true, first_imu = true;
static uint32_t dropped_full = 0;

static inline uint32_t device_t_us(uint32_t index) { return index * TIMER_PERIOD_US; }

static void put_header(uint8_t *out, uint8_t stream, uint8_t flags, uint8_t n_ch, uint16_t seq, uint32_t t_us,
                       uint16_t fs_hz, uint16_t n_samples) {
  Header h{DIY_VERSION, stream, flags, n_ch, seq, t_us, fs_hz, n_samples};
  memcpy(out, &h, HEADER_SIZE);
}

// Hand a finished packet to the BLE side.  Counters advanced already: if the link is down or the
// queue is full the packet is simply not sent, and the host sees the gap in seq and t_us.
static void emit(const uint8_t *bytes, size_t len) {
  if (!streaming || !connected) return;
  Packet p;
  p.len = len;
  memcpy(p.bytes, bytes, len);
  if (xQueueSend(outbox, &p, 0) != pdTRUE) dropped_full++;
}

static int16_t clip16(float x, bool *saturated) {
  if (x > 32767.0f) { *saturated = true; return 32767; }
  if (x < -32768.0f) { *saturated = true; return -32768; }
  return (int16_t)lrintf(x);
}

// ------------------------------------------------------------------ IMU (MPU-6050)
static void mpu_write(uint8_t reg, uint8_t value) {
  Wire.beginTransmission(MPU_ADDR);
  Wire.write(reg);
  Wire.write(value);
  Wire.endTransmission();
}

static void mpu_begin() {
  Wire.begin(21, 22, 400000);
  mpu_write(0x6B, 0x01);  // PWR_MGMT_1: wake, clock from the X gyro PLL
  mpu_write(0x1A, 0x02);  // CONFIG: DLPF 94 Hz (acc) / 98 Hz (gyro), below the 100 Hz IMU Nyquist x 2
  mpu_write(0x1B, 0x18);  // GYRO_CONFIG: +-2000 deg/s (16.4 LSB per deg/s)
  mpu_write(0x1C, 0x10);  // ACCEL_CONFIG: +-8 g (4096 LSB per g)
}

static void mpu_read(int16_t out[N_IMU]) {
  uint8_t raw[14];
  Wire.beginTransmission(MPU_ADDR);
  Wire.write(0x3B);  // ACCEL_XOUT_H .. GYRO_ZOUT_L (14 bytes, big-endian, temperature in the middle)
  Wire.endTransmission(false);
  Wire.requestFrom((int)MPU_ADDR, 14);
  for (int i = 0; i < 14 && Wire.available(); i++) raw[i] = Wire.read();
  const int idx[N_IMU] = {0, 2, 4, 8, 10, 12};
  for (int c = 0; c < N_IMU; c++) out[c] = (int16_t)((raw[idx[c]] << 8) | raw[idx[c] + 1]);
}

// ------------------------------------------------------------------ sampling
void IRAM_ATTR on_timer() {
  BaseType_t woken = pdFALSE;
  vTaskNotifyGiveFromISR(sampler, &woken);
  if (woken) portYIELD_FROM_ISR();
}

static void sampling_task(void *) {
  static uint8_t emg_pkt[EMG_PACKET_SIZE];
  static uint8_t imu_pkt[IMU_PACKET_SIZE];
  float ref_mv[N_EMG] = {1650.0f, 1650.0f};
  const float alpha = 1.0f / (REF_TAU_S * EMG_FS_HZ);
  uint16_t n_emg = 0, n_imu = 0;
  bool sat_emg = false, sat_imu = false;
  uint32_t emg_first = 0, imu_first = 0;
  for (;;) {
    ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
    const uint32_t index = sample_index;
    // EMG: millivolts at the ADC -> microvolts at the electrodes -> 0.25 uV counts.
    if (n_emg == 0) emg_first = index;
    int16_t *emg = (int16_t *)(emg_pkt + HEADER_SIZE) + N_EMG * n_emg;
    for (int c = 0; c < N_EMG; c++) {
      const float mv = (float)analogReadMilliVolts(PIN_EMG[c]);
      ref_mv[c] += alpha * (mv - ref_mv[c]);
      const float uv = (mv - ref_mv[c]) * 1000.0f / MYOWARE_RAW_GAIN;
      emg[c] = clip16(uv / EMG_UV_PER_COUNT, &sat_emg);
    }
    if (++n_emg == EMG_PER_PACKET) {
      uint8_t flags = (sat_emg ? FLAG_SATURATED : 0) | (first_emg ? FLAG_CLOCK_RESTART : 0);
      put_header(emg_pkt, STREAM_EMG, flags, N_EMG, seq_emg++, device_t_us(emg_first), EMG_FS_HZ, EMG_PER_PACKET);
      emit(emg_pkt, EMG_PACKET_SIZE);
      n_emg = 0;
      sat_emg = first_emg = false;
    }
    // IMU: every 10th tick, raw counts already in diy-v1 units (see the scales above).
    if (index % IMU_DECIMATION == 0) {
      if (n_imu == 0) imu_first = index;
      int16_t values[N_IMU];
      mpu_read(values);
      memcpy(imu_pkt + HEADER_SIZE + 2 * N_IMU * n_imu, values, sizeof(values));
      if (++n_imu == IMU_PER_PACKET) {
        uint8_t flags = (sat_imu ? FLAG_SATURATED : 0) | (first_imu ? FLAG_CLOCK_RESTART : 0);
        put_header(imu_pkt, STREAM_IMU, flags, N_IMU, seq_imu++, device_t_us(imu_first), IMU_FS_HZ, IMU_PER_PACKET);
        emit(imu_pkt, IMU_PACKET_SIZE);
        n_imu = 0;
        sat_imu = first_imu = false;
      }
    }
    sample_index = index + 1;
  }
}

static void start_sampling() {
  if (sampling) return;
  sampling = true;
  timer = timerBegin(1000000);                 // 1 MHz timer clock (Arduino core 3.x API)
  timerAttachInterrupt(timer, &on_timer);
  timerAlarm(timer, TIMER_PERIOD_US, true, 0); // every 1000 us, auto-reload
}

// ------------------------------------------------------------------ commands
static void send_marker(uint16_t id) {
  uint8_t pkt[HEADER_SIZE + 2];
  put_header(pkt, STREAM_MARK, 0, 0, seq_mark++, device_t_us(sample_index), 0, 0);
  memcpy(pkt + HEADER_SIZE, &id, 2);
  emit(pkt, sizeof(pkt));
}

class RxCallbacks : public NimBLECharacteristicCallbacks {
  void onWrite(NimBLECharacteristic *c) override {
    std::string v = c->getValue();
    if (v.empty()) return;
    const uint8_t cmd = (uint8_t)v[0];
    if (cmd == CMD_START) {
      start_sampling();
      streaming = true;
    } else if (cmd == CMD_STOP) {
      streaming = false;
    } else if (cmd == CMD_MARKER && v.size() >= 3) {
      uint16_t id = (uint8_t)v[1] | ((uint16_t)(uint8_t)v[2] << 8);
      send_marker(id);  // the label (v[3..], at most MARKER_LABEL_MAX bytes) is for the host only
    }  // unknown commands are ignored
  }
};

class ServerCallbacks : public NimBLEServerCallbacks {
  void onConnect(NimBLEServer *s, ble_gap_conn_desc *desc) override {
    connected = true;
    // Ask for a 7.5-15 ms connection interval, no slave latency, 4 s supervision timeout.
    s->updateConnParams(desc->conn_handle, CONN_INTERVAL_MIN, CONN_INTERVAL_MAX, 0, 400);
  }
  void onDisconnect(NimBLEServer *) override {
    connected = false;
    streaming = false;  // sampling continues; the host sends start again after reconnecting
    NimBLEDevice::startAdvertising();
  }
};

void setup() {
  analogReadResolution(12);
  for (int c = 0; c < N_EMG; c++) analogSetPinAttenuation(PIN_EMG[c], ADC_11db);  // 0-3.1 V
  mpu_begin();
  outbox = xQueueCreate(QUEUE_DEPTH, sizeof(Packet));
  xTaskCreatePinnedToCore(sampling_task, "sample", 4096, nullptr, configMAX_PRIORITIES - 1, &sampler, 1);

  NimBLEDevice::init(DEVICE_NAME);
  NimBLEDevice::setMTU(MTU);
  NimBLEDevice::setPower(ESP_PWR_LVL_P9);
  NimBLEServer *server = NimBLEDevice::createServer();
  server->setCallbacks(new ServerCallbacks());
  NimBLEService *nus = server->createService(NUS_SERVICE_UUID);
  tx = nus->createCharacteristic(NUS_TX_UUID, NIMBLE_PROPERTY::NOTIFY);
  NimBLECharacteristic *rx = nus->createCharacteristic(NUS_RX_UUID, NIMBLE_PROPERTY::WRITE | NIMBLE_PROPERTY::WRITE_NR);
  rx->setCallbacks(new RxCallbacks());
  nus->start();
  NimBLEService *dis = server->createService("180A");
  dis->createCharacteristic("2A26", NIMBLE_PROPERTY::READ)->setValue(FIRMWARE_REVISION);
  dis->start();
  NimBLEAdvertising *adv = NimBLEDevice::getAdvertising();
  adv->addServiceUUID(NUS_SERVICE_UUID);
  adv->setName(DEVICE_NAME);
  adv->setScanResponse(true);
  adv->start();
}

void loop() {
  // Drain the outbox into notifications (one packet per notification, never split).
  Packet p;
  while (xQueueReceive(outbox, &p, pdMS_TO_TICKS(5)) == pdTRUE) {
    if (!connected) continue;
    tx->setValue(p.bytes, p.len);
    tx->notify();
  }
}
