import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Media (issue 11, issue 9 item 4). Tenants: SRTP required on device legs (on by default, safer) and a
 * codec allow-list (empty allows every codec). Trunks: whether a call through the trunk may go on with
 * its media unanchored when rtpengine is unreachable (off by default: such a call gets 503). CDRs: the
 * media quality of each leg, from rtpengine's statistics when the call was deleted there.
 */
export class Media1765000400000 implements MigrationInterface {
  name = 'Media1765000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN srtp_required boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE tenants ADD COLUMN codec_allow_list text[] NOT NULL DEFAULT '{}'`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT ck_tenants_codec_allow_list CHECK (cardinality(codec_allow_list) <= 16)`,
    );
    await q.query(`ALTER TABLE trunks ADD COLUMN allow_unanchored_media boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE cdrs ADD COLUMN media_quality jsonb NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cdrs DROP COLUMN media_quality`);
    await q.query(`ALTER TABLE trunks DROP COLUMN allow_unanchored_media`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT ck_tenants_codec_allow_list`);
    await q.query(`ALTER TABLE tenants DROP COLUMN codec_allow_list`);
    await q.query(`ALTER TABLE tenants DROP COLUMN srtp_required`);
  }
}
