// Runs on the audio thread: hands the microphone's samples to the page (channels averaged to
// mono) in blocks of BLOCK frames, so the page never decodes a compressed recording.

const BLOCK = 2048;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(BLOCK);
    this.filled = 0;
  }

  process([channels]) {
    const frames = channels[0]?.length ?? 0; // no channels until the stream delivers audio
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (const channel of channels) sum = Math.fround(sum + channel[i]);
      this.block[this.filled++] = sum / channels.length;
      if (this.filled === BLOCK) {
        this.port.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(BLOCK);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('capture', Capture);
