-- AlterEnum
ALTER TYPE "DeliveryState" ADD VALUE 'sending' AFTER 'pending';
