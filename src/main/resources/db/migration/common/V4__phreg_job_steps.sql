-- Every optimizer step of a job (its training history), written in batches at checkpoints.
-- A resumed run retrains the steps after its checkpoint: they are replaced, so each step
-- has exactly one row, that of the run the student came from.
create table phreg_job_step (
    job_id            varchar(36)      not null references phreg_job (id) on delete cascade,
    step              bigint           not null,
    epoch             bigint           not null,
    updated           boolean          not null,
    loss              real             not null,
    cosine_loss       real             not null,
    mse_loss          real             not null,
    learning_rate     real             not null,
    images            integer          not null,
    images_per_second double precision not null,
    teacher_ms        double precision not null,
    student_ms        double precision not null,
    skipped_images    integer          not null,
    recorded_at       timestamp with time zone not null,
    primary key (job_id, step)
);
