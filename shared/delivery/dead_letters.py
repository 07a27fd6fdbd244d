"""Publishing a message that could not be processed to the dead-letter topic, error in headers."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.topics import Topic


def _text(value: object, limit: int = 2000) -> bytes:
    return str(value)[:limit].encode()


async def dead_letter(
    producer: AIOKafkaProducer,
    consumer: str,
    record: ConsumerRecord[bytes, bytes],
    error: BaseException,
    attempts: int,
    topic: str = Topic.DEAD_LETTERS.value,
) -> None:
    """Wait until the broker has the dead letter: only then may the offset move past it."""
    headers = [
        (name, value) for name, value in (record.headers or ()) if not name.startswith("dlq_")
    ]
    headers += [
        ("dlq_error", _text(f"{type(error).__name__}: {error}")),
        ("dlq_consumer", _text(consumer)),
        ("dlq_topic", _text(record.topic)),
        ("dlq_partition", _text(record.partition)),
        ("dlq_offset", _text(record.offset)),
        ("dlq_attempts", _text(attempts)),
    ]
    await producer.send_and_wait(topic, record.value, key=record.key, headers=headers)
