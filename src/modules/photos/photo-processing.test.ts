/**
 * processPhoto against real images made with sharp in the test: types decided by bytes, every
 * rejection message, metadata stripped, orientation applied, sizes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import {
  formatFileSize,
  photoCapabilities,
  PhotoRejectedError,
  processPhoto,
  sniffPhotoType,
  type PhotoLimits,
} from './photo-processing.js';

const limits: PhotoLimits = { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000 };

/** Random pixels, so JPEGs are big enough to truncate in their image data rather than their header. */
function noise(width: number, height: number, channels: 3 | 4 = 3) {
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return sharp(data, { raw: { width, height, channels } });
}

/** 400×200: left half red, right half blue. */
async function halves(): Promise<Sharp> {
  const blue = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#0000ff' } })
    .png()
    .toBuffer();
  const image = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#ff0000' } })
    .composite([{ input: blue, left: 200, top: 0 }])
    .png()
    .toBuffer();
  return sharp(image);
}

const XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Jo Resident</dc:creator>' +
  '</rdf:Description></rdf:RDF></x:xmpmeta>';

/** A camera JPEG: EXIF with make, model and a GPS position, a Display P3 ICC profile and XMP. */
function cameraJpeg(): Promise<Buffer> {
  return noise(600, 400)
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: 'AcmeCam', Model: 'Pocket 9000' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '53/1 25/1 3000/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '2/1 22/1 1200/100',
      },
    })
    .withIccProfile('p3')
    .withXmp(XMP)
    .toBuffer();
}

/** Whether an EXIF block has a GPS IFD pointer (tag 0x8825), in either byte order. */
function hasGpsPointer(exif: Buffer): boolean {
  return exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
}

// --- Hand-built files ----------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/**
 * A decompression bomb's calling card: a valid PNG header claiming a 60,000 × 60,000 image (3.6
 * billion pixels) in a file of a few dozen bytes.
 */
function hugePngHeader(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    return Buffer.concat([u32(data.length), body, u32(crc32(body))]);
  };
  const ihdr = Buffer.concat([u32(60_000), u32(60_000), u8(8), u8(2), u8(0), u8(0), u8(0)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A HEIC as an iPhone writes it, structurally: ftyp "heic", a meta box whose primary item is an
 * HEVC-coded image ("hvc1" with an hvcC configuration and its size), and an mdat. The coded data is
 * not a real picture, but a libheif without an HEVC decoder fails on the codec before reading it,
 * exactly as it does for a real iPhone photo.
 */
function hevcHeic(width: number, height: number): Buffer {
  const box = (type: string, ...parts: Buffer[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
  };
  const fullBox = (type: string, version: number, ...parts: Buffer[]) =>
    box(type, u8(version), u8(0), u16(0), ...parts);
  const payload = Buffer.from([0, 0, 0, 4, 0x26, 0x01, 0xaf, 0x00]);
  const hvcC = box(
    'hvcC',
    u8(1),
    u8(0x01),
    u32(0x60000000),
    Buffer.alloc(6),
    u8(90),
    u16(0xf000),
    u8(0xfc),
    u8(0xfd),
    u8(0xf8),
    u8(0xf8),
    u16(0),
    u8(0x0f),
    u8(0),
  );
  const meta = (dataOffset: number) =>
    fullBox(
      'meta',
      0,
      fullBox('hdlr', 0, u32(0), Buffer.from('pict'), Buffer.alloc(12), u8(0)),
      fullBox('pitm', 0, u16(1)),
      fullBox(
        'iloc',
        0,
        u8(0x44),
        u8(0),
        u16(1),
        u16(1),
        u16(0),
        u16(1),
        u32(dataOffset),
        u32(payload.length),
      ),
      fullBox('iinf', 0, u16(1), fullBox('infe', 2, u16(1), u16(0), Buffer.from('hvc1'), u8(0))),
      box(
        'iprp',
        box('ipco', hvcC, fullBox('ispe', 0, u32(width), u32(height))),
        fullBox('ipma', 0, u32(1), u16(1), u8(2), u8(0x81), u8(0x02)),
      ),
    );
  const ftyp = box('ftyp', Buffer.from('heic'), u32(0), Buffer.from('mif1heic'));
  const dataOffset = ftyp.length + meta(0).length + 8;
  return Buffer.concat([ftyp, meta(dataOffset), box('mdat', payload)]);
}

async function rejection(bytes: Buffer, photoLimits: PhotoLimits = limits): Promise<PhotoRejectedError> {
  try {
    await processPhoto(bytes, photoLimits);
  } catch (error) {
    assert.ok(error instanceof PhotoRejectedError, `expected a PhotoRejectedError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the photo to be rejected');
}

// --- Tests ---------------------------------------------------------------------------------------

describe('sniffPhotoType', () => {
  it('decides the type from the bytes alone', async () => {
    const base = noise(16, 16);
    assert.equal(sniffPhotoType(await base.clone().jpeg().toBuffer()), 'jpeg');
    assert.equal(sniffPhotoType(await base.clone().png().toBuffer()), 'png');
    assert.equal(sniffPhotoType(await base.clone().webp().toBuffer()), 'webp');
    assert.equal(sniffPhotoType(await base.clone().avif().toBuffer()), 'avif');
    assert.equal(sniffPhotoType(hevcHeic(64, 48)), 'heic');
    assert.equal(sniffPhotoType(await base.clone().gif().toBuffer()), undefined);
    assert.equal(sniffPhotoType(await base.clone().tiff().toBuffer()), undefined);
    assert.equal(sniffPhotoType(Buffer.from('%PDF-1.7\n')), undefined);
    assert.equal(sniffPhotoType(Buffer.from('ÿØ')), undefined);
  });

  it('reads the compatible brands of an ISO-BMFF file, not just the major brand', () => {
    const ftyp = (major: string, ...compatible: string[]) => {
      const body = Buffer.concat([Buffer.from(major), u32(0), ...compatible.map((b) => Buffer.from(b))]);
      return Buffer.concat([u32(8 + body.length), Buffer.from('ftyp'), body, Buffer.alloc(32)]);
    };
    assert.equal(sniffPhotoType(ftyp('mif1', 'heic', 'miaf')), 'heic');
    assert.equal(sniffPhotoType(ftyp('mif1', 'avif', 'miaf')), 'avif');
    assert.equal(sniffPhotoType(ftyp('heix', 'mif1')), 'heic');
    assert.equal(sniffPhotoType(ftyp('isom', 'mp41')), undefined, 'an MP4 video is not a photo');
    assert.equal(sniffPhotoType(ftyp('qt  ')), undefined);
  });
});

describe('processPhoto', () => {
  it('re-encodes a camera JPEG with no EXIF, GPS, camera make or model, XMP or ICC profile left', async () => {
    const input = await cameraJpeg();
    const before = await sharp(input).metadata();
    assert.ok(before.exif && before.exif.includes('AcmeCam'), 'the fixture has EXIF with the make');
    assert.ok(hasGpsPointer(before.exif), 'the fixture has a GPS position');
    assert.ok(before.icc && before.xmp, 'the fixture has an ICC profile and XMP');

    const photo = await processPhoto(input, limits);
    assert.equal(photo.sourceType, 'jpeg');
    assert.equal(photo.width, 600);
    assert.equal(photo.height, 400);
    for (const output of [photo.image, photo.thumbnail]) {
      const after = await sharp(output).metadata();
      assert.equal(after.format, 'jpeg');
      assert.equal(after.exif, undefined);
      assert.equal(after.icc, undefined);
      assert.equal(after.xmp, undefined);
      assert.equal(after.iptc, undefined);
      assert.equal(after.orientation, undefined);
      assert.equal(after.space, 'srgb');
      for (const secret of ['AcmeCam', 'Pocket 9000', 'Jo Resident', 'Exif', 'GPS', 'Display P3']) {
        assert.equal(output.includes(secret), false, `${secret} must not survive`);
      }
    }
  });

  it('applies the EXIF orientation, then drops it: a sideways photo comes out upright', async () => {
    // Stored 400×200 (red left, blue right) with "rotate 90° clockwise to display" (orientation 6).
    const input = await (await halves()).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    assert.equal((await sharp(input).metadata()).orientation, 6);

    const photo = await processPhoto(input, limits);
    assert.deepEqual([photo.width, photo.height], [200, 400], 'width and height swap');
    const after = await sharp(photo.image).metadata();
    assert.deepEqual([after.width, after.height, after.orientation], [200, 400, undefined]);
    // Turned clockwise, what was the left edge is now the top.
    const { data, info } = await sharp(photo.image).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    const [topR, , topB] = pixel(100, 50) as [number, number, number];
    const [bottomR, , bottomB] = pixel(100, 350) as [number, number, number];
    assert.ok(topR > 200 && topB < 60, `top should be red, got ${pixel(100, 50).join(',')}`);
    assert.ok(bottomB > 200 && bottomR < 60, `bottom should be blue, got ${pixel(100, 350).join(',')}`);
    assert.deepEqual([(await sharp(photo.thumbnail).metadata()).width, photo.thumbnailHeight], [160, 320]);
  });

  it('takes a PNG with transparency, flattening it onto white', async () => {
    const input = await sharp({
      create: { width: 300, height: 150, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const photo = await processPhoto(input, limits);
    assert.equal(photo.sourceType, 'png');
    const { data, info } = await sharp(photo.image).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    assert.ok(data[0]! > 245 && data[1]! > 245 && data[2]! > 245, 'transparent becomes white');
  });

  it('takes a WebP', async () => {
    const photo = await processPhoto(await noise(320, 240).webp().toBuffer(), limits);
    assert.equal(photo.sourceType, 'webp');
    assert.equal((await sharp(photo.image).metadata()).format, 'jpeg');
  });

  it('takes an AVIF when this sharp can read one', async (t) => {
    if (!photoCapabilities().avif) return t.skip('this sharp build has no AV1 decoder');
    const photo = await processPhoto(await noise(320, 240).avif().toBuffer(), limits);
    assert.equal(photo.sourceType, 'avif');
    assert.deepEqual([photo.width, photo.height], [320, 240]);
  });

  it('scales a large photo down to 2048 px on its long edge, with a 320 px thumbnail', async () => {
    const photo = await processPhoto(await noise(3000, 1500).jpeg().toBuffer(), limits);
    assert.deepEqual([photo.width, photo.height], [2048, 1024]);
    assert.deepEqual([photo.thumbnailWidth, photo.thumbnailHeight], [320, 160]);
    const thumbnail = await sharp(photo.thumbnail).metadata();
    assert.deepEqual([thumbnail.width, thumbnail.height, thumbnail.format], [320, 160, 'jpeg']);
    const small = await processPhoto(await noise(120, 90).jpeg().toBuffer(), limits);
    assert.deepEqual([small.width, small.height, small.thumbnailWidth], [120, 90, 120], 'never enlarged');
  });

  it('refuses an empty file', async () => {
    const error = await rejection(Buffer.alloc(0));
    assert.equal(error.reason, 'empty');
    assert.equal(error.message, 'The selected file is empty');
  });

  it('refuses a file over the byte limit before looking at it', async () => {
    const input = await noise(400, 300).jpeg({ quality: 100 }).toBuffer();
    const error = await rejection(input, { ...limits, maxBytes: 50 * 1024 });
    assert.equal(error.reason, 'too_large');
    assert.equal(error.message, 'The selected file must be smaller than 50KB');
    assert.equal(error.status, 413);
    assert.equal(formatFileSize(10 * 1024 * 1024), '10MB');
    assert.equal(formatFileSize(1.5 * 1024 * 1024), '1.5MB');
  });

  it('refuses a text file named .jpg, a GIF and a TIFF by their bytes', async () => {
    const messages = new Set<string>();
    for (const input of [
      Buffer.from('This is not a photo of a pothole, whatever its name says.\n'),
      await noise(32, 32).gif().toBuffer(),
      await noise(32, 32).tiff().toBuffer(),
    ]) {
      const error = await rejection(input);
      assert.equal(error.reason, 'unsupported_type');
      messages.add(error.message);
    }
    assert.deepEqual([...messages], ['The selected file must be a JPG, PNG, WebP or HEIC']);
  });

  it('refuses a truncated JPEG (an interrupted upload)', async () => {
    const whole = await noise(600, 400).jpeg().toBuffer();
    const error = await rejection(whole.subarray(0, Math.floor(whole.length * 0.6)));
    assert.equal(error.reason, 'unreadable');
    assert.equal(error.message, 'The selected file could not be read as an image');
  });

  it('refuses a file that starts like a JPEG but is not one', async () => {
    const error = await rejection(
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]),
    );
    assert.equal(error.reason, 'unreadable');
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const started = Date.now();
    const error = await rejection(hugePngHeader());
    assert.equal(error.reason, 'too_many_pixels');
    assert.equal(error.message, 'The selected file must be an image of no more than 40 megapixels');
    assert.ok(Date.now() - started < 2000, 'refused quickly');
  });

  it('refuses a real image over a lower pixel limit', async () => {
    const input = await noise(3000, 2000).png({ compressionLevel: 1 }).toBuffer();
    const error = await rejection(input, { maxBytes: 100 * 1024 * 1024, maxPixels: 5_000_000 });
    assert.equal(error.reason, 'too_many_pixels');
    assert.equal(error.message, 'The selected file must be an image of no more than 5 megapixels');
  });

  it('tells the resident how to send a HEIC photo this server cannot decode', async () => {
    const capabilities = photoCapabilities();
    // This fixture's coded data is not a real picture, so even a build with an HEVC decoder fails on
    // it, and must then give the same advice.
    const error = await rejection(hevcHeic(4032, 3024));
    assert.equal(error.reason, 'heic_unsupported');
    assert.match(error.message, /HEIC/);
    assert.match(error.message, /‘Most compatible’/);
    assert.match(error.message, /JPG/);
    if (!capabilities.heic) {
      assert.equal(sharp.format.heif.input.buffer, true, 'sharp reads HEIF containers (AVIF) ...');
      assert.ok(!sharp.format.heif.input.fileSuffix?.includes('.heic'), '... but cannot decode HEVC');
    }
  });
});
