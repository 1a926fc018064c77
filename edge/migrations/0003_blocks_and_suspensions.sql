-- The block each event's number belongs to (core/src/events.rs `block_of`: the number without
-- its last six digits), so alerts can watch for pumping per block as well as per country.
ALTER TABLE events ADD COLUMN number_block TEXT;
-- An activity the operator suspended (edge/src/routes/console.rs `suspend`): it keeps only the
-- free missed call, and its owner cannot change it.
ALTER TABLE activities ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
